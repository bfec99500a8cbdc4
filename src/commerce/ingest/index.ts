/**
 * The commerce webhook receivers and the TikTok Shop Open API client.
 */
export * from './tiktok/webhook-signature.js';
export * from './tiktok/webhook-schemas.js';
export * from './tiktok/map-webhook.js';
export * from './tiktok/webhook-handler.js';
export * from './tiktok/request-signature.js';
export * from './tiktok/api-error.js';
export * from './tiktok/access-token.js';
export * from './tiktok/shop-client.js';
export * from './shipping/webhook-schemas.js';
export * from './shipping/map-webhook.js';
export * from './shipping/webhook-handler.js';
export * from './commerce-ingest-handler.js';
