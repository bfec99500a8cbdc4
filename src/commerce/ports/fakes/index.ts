export * from './fake-behaviour.js';
export * from './fake-payment-gateway.js';
export * from './fake-shipping-provider.js';
export * from './fake-tiktok-shop-client.js';
