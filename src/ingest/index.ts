export * from './errors.js';
export * from './rate-limiter.js';
export * from './resilient-rate-limiter.js';
export * from './standard-webhooks.js';
export * from './idempotency-key.js';
export * from './source-time.js';
export * from './webhook-receiver.js';
// The framework adapters belong with the receivers they serve; one barrel line exports both.
export * from '../http/index.js';
