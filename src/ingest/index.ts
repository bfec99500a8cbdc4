export { ADMISSION_DEFAULTS, ADMISSION_REFUSAL_REASONS, AdmissionControl } from './admission-control.js';
export type {
  AdmissionEvents,
  AdmissionOptions,
  AdmissionRefusalReason,
  AdmissionSettings,
  AdmissionSignals,
  AdmissionStatus,
  Admitted,
  Refused,
} from './admission-control.js';
export { nextAdmissionRate } from './admission-rate.js';
export type {
  AdmissionRateSettings,
  AdmissionRateStep,
  PressureSample,
  PressureSignal,
} from './admission-rate.js';
export { sampleEventLoopDelay } from './event-loop-delay.js';
export type { EventLoopDelaySampler } from './event-loop-delay.js';
export { INGEST_ERROR_CODES, INGEST_ERROR_STATUS, IngestError, isIngestError } from './errors.js';
export type { IngestErrorCode } from './errors.js';
export {
  createMemoryRateLimiter,
  DEFAULT_RATE_LIMIT,
  RATE_LIMITER_UNAVAILABLE_POLICIES,
  rateLimitSettings,
  slidingWindowStep,
  unlimitedRateLimiter,
} from './rate-limiter.js';
export type {
  MemoryRateLimiterOptions,
  RateLimitDecision,
  RateLimiter,
  RateLimiterStatus,
  RateLimiterUnavailablePolicy,
  RateLimitOptions,
  RateLimitSettings,
} from './rate-limiter.js';
export { createResilientRateLimiter } from './resilient-rate-limiter.js';
export type {
  RateLimiterEvents,
  ResilientRateLimiter,
  ResilientRateLimiterOptions,
} from './resilient-rate-limiter.js';
export {
  decodeWebhookSecret,
  signStandardWebhook,
  STANDARD_WEBHOOK_TOLERANCE_SECONDS,
  verifyStandardWebhook,
} from './standard-webhooks.js';
export type { StandardWebhookInput } from './standard-webhooks.js';
export { webhookIdempotencyKey } from './idempotency-key.js';
export { assertSourceTime, DEFAULT_SOURCE_TIME_BOUNDS, sourceTimeBoundsSchema } from './source-time.js';
export type { SourceTimeBounds } from './source-time.js';
export { createIngestHandler } from './webhook-receiver.js';
export type { ReceiverContext, WebhookReceiver } from './webhook-receiver.js';
// The framework adapters belong with the receivers they serve; one barrel line exports both.
export {
  bodyLimitOf,
  createRouter,
  DEFAULT_ADAPTER_BODY_LIMIT,
  errorToProblem,
  expressAdapter,
  fastifyAdapter,
  headerValue,
  HttpError,
  isHttpError,
  jsonResponse,
  nodeAdapter,
  PROBLEM_CONTENT_TYPE,
  problemOf,
  problemResponse,
  readRawBody,
  sendResponse,
  withBodyLimit,
} from '../http/index.js';
export type {
  ExpressMiddleware,
  ExpressRequestLike,
  FastifyAdapterOptions,
  FastifyInstanceLike,
  FastifyReplyLike,
  FastifyRequestLike,
  HttpErrorCode,
  HttpHandler,
  HttpHeaders,
  HttpProblemError,
  HttpRequest,
  HttpRequestHead,
  HttpResponse,
  NodeAdapterOptions,
  ProblemDetails,
  RawBodyResult,
  Route,
} from '../http/index.js';
