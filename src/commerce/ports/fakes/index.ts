export { FakeBehaviour, type FakeBehaviourOptions, type ScriptedFailure } from './fake-behaviour.js';
export { FakePaymentGateway, type FakePaymentGatewayOptions } from './fake-payment-gateway.js';
export { FakeShippingProvider } from './fake-shipping-provider.js';
export { FakeTikTokShopClient } from './fake-tiktok-shop-client.js';
