export * from './errors.js';
export * from './rate-limiter.js';
export * from './standard-webhooks.js';
export * from './idempotency-key.js';
export * from './source-time.js';
export * from './ingest-handler.js';
export * from './tiktok/webhook-signature.js';
export * from './tiktok/webhook-schemas.js';
export * from './tiktok/map-webhook.js';
export * from './tiktok/webhook-handler.js';
export * from './tiktok/request-signature.js';
export * from './tiktok/api-error.js';
export * from './tiktok/shop-client.js';
export * from './shipping/webhook-schemas.js';
export * from './shipping/map-webhook.js';
export * from './shipping/webhook-handler.js';
// The framework adapters belong with the receivers they serve; one barrel line exports both.
export * from '../http/index.js';
