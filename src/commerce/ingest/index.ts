/**
 * The commerce webhook receivers and the TikTok Shop Open API client.
 */
export { signTikTokWebhook, verifyTikTokWebhook } from './tiktok/webhook-signature.js';
export {
  normalizeOrderStatus,
  orderStatusChangeDataSchema,
  packageUpdateDataSchema,
  productStatusDataSchema,
  reverseOrderDataSchema,
  sellerDeauthorizationDataSchema,
  TIKTOK_WEBHOOK_ORDER_STATUSES,
  tiktokEnvelopeSchema,
  type TikTokEnvelope,
} from './tiktok/webhook-schemas.js';
export { mapTikTokWebhook, type TikTokWebhookAppend } from './tiktok/map-webhook.js';
export {
  createTikTokWebhookHandler,
  TIKTOK_REPLAY_WINDOW_SECONDS,
  TIKTOK_WEBHOOK_SOURCE,
  type TikTokWebhookOptions,
} from './tiktok/webhook-handler.js';
export { signTikTokRequest, type TikTokRequestToSign } from './tiktok/request-signature.js';
export { TIKTOK_API_ERROR_CODES, TikTokApiError } from './tiktok/api-error.js';
export { accessTokens, type AccessTokenOptions, type AccessTokens } from './tiktok/access-token.js';
export {
  createTikTokShopHttpClient,
  retryAfterToMs,
  TIKTOK_CLIENT_SOURCE,
  TIKTOK_RETRY_POLICY,
  type TikTokRequest,
  type TikTokShopHttpClient,
  type TikTokShopHttpClientOptions,
} from './tiktok/shop-client.js';
export {
  shippingEnvelopeSchema,
  TRACKING_STATUSES,
  trackingUpdateSchema,
  type TrackingStatus,
  type TrackingUpdate,
} from './shipping/webhook-schemas.js';
export { mapTrackingUpdate } from './shipping/map-webhook.js';
export {
  createShippingWebhookHandler,
  SHIPPING_WEBHOOK_SOURCE,
  type ShippingProviderConfig,
  type ShippingWebhookOptions,
} from './shipping/webhook-handler.js';
export {
  COMMERCE_WEBHOOK_PATHS,
  commerceReceivers,
  createCommerceIngestHandler,
  shippingReceiver,
  tikTokReceiver,
  type CommerceIngestHandlerOptions,
  type CommerceReceiversOptions,
  type ShippingReceiverOptions,
  type TikTokReceiverOptions,
} from './commerce-ingest-handler.js';
