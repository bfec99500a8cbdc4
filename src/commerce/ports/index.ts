export type {
  ChargeLookup,
  ChargeRequest,
  Payment,
  PaymentGateway,
  RefundRequest,
} from './payment-gateway.js';
export type {
  CancelLabelRequest,
  LabelLookup,
  LabelRequest,
  ShippingLabel,
  ShippingProvider,
} from './shipping-provider.js';
export {
  parseTikTokInventory,
  parseTikTokOrderDetail,
  tikTokShopClientFromHttp,
  type TikTokInventoryUpdate,
  type TikTokOrderDetail,
  type TikTokShippingUpdate,
  type TikTokShopClient,
  type TikTokShopHttpAdapterOptions,
  type TikTokSkuStock,
} from './tiktok-shop-client.js';
export {
  FakeBehaviour,
  FakePaymentGateway,
  FakeShippingProvider,
  FakeTikTokShopClient,
  type FakeBehaviourOptions,
  type FakePaymentGatewayOptions,
  type ScriptedFailure,
} from './fakes/index.js';
