/**
 * `@creatorflow/sync/ingest`: webhook intake — receivers as data, the ingest
 * handler, rate limiters, Standard Webhooks signing and source-time bounds
 * (docs/ingestion.md). The HTTP handler shape and adapters are `/http`.
 */
export {
  DEFAULT_RATE_LIMIT,
  DEFAULT_SOURCE_TIME_BOUNDS,
  INGEST_ERROR_CODES,
  INGEST_ERROR_STATUS,
  IngestError,
  RATE_LIMITER_UNAVAILABLE_POLICIES,
  STANDARD_WEBHOOK_TOLERANCE_SECONDS,
  assertSourceTime,
  createIngestHandler,
  createMemoryRateLimiter,
  createResilientRateLimiter,
  decodeWebhookSecret,
  isIngestError,
  signStandardWebhook,
  unlimitedRateLimiter,
  verifyStandardWebhook,
  webhookIdempotencyKey,
} from './index.js';
export type {
  IngestErrorCode,
  MemoryRateLimiterOptions,
  RateLimitDecision,
  RateLimitOptions,
  RateLimiter,
  RateLimiterEvents,
  RateLimiterStatus,
  RateLimiterUnavailablePolicy,
  ReceiverContext,
  ResilientRateLimiter,
  ResilientRateLimiterOptions,
  SourceTimeBounds,
  StandardWebhookInput,
  WebhookReceiver,
} from './index.js';
export type { RateLimitSettings } from './rate-limiter.js';
