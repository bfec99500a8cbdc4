/**
 * The commerce domain's part of the error-code registry: same shape and
 * naming rule as `ERROR_REGISTRY`, codes disjoint from it (docs/errors.md).
 * Over HTTP they keep these statuses when the registry is passed to the one
 * mapping: `errorToProblem(err, COMMERCE_ERROR_REGISTRY)` (the commerce routes
 * and webhook handlers do; without it a code outside `ERROR_REGISTRY` is a 500).
 */
import type { ErrorCodeInfo } from '../core/error-codes.js';

/**
 * Every error code of `@creatorflow/sync/commerce`, by code.
 *
 * @example
 * ```ts
 * COMMERCE_ERROR_REGISTRY.INSUFFICIENT_STOCK.status // 409
 * ```
 */
export const COMMERCE_ERROR_REGISTRY = Object.freeze({
  PROVIDER_UNAVAILABLE: { module: 'commerce', status: 503, error: 'ProviderUnavailableError' },
  PROVIDER_REJECTED: { module: 'commerce', status: 422, error: 'ProviderRejectedError' },
  ORDER_INVALID: { module: 'commerce', status: 422, error: 'OrderInvalidError' },
  INSUFFICIENT_STOCK: { module: 'commerce', status: 409, error: 'InsufficientStockError' },
  FORECAST_INPUT_INVALID: { module: 'commerce', status: 400, error: 'ForecastInputError' },
  INVALID_CAPACITY_CONFIG: { module: 'commerce', status: 500, error: 'CapacityConfigError' },
  TIKTOK_API_ERROR: { module: 'commerce', status: 502, error: 'TikTokApiError' },
  TIKTOK_RATE_LIMITED: { module: 'commerce', status: 503, error: 'TikTokApiError' },
  TIKTOK_NETWORK_ERROR: { module: 'commerce', status: 503, error: 'TikTokApiError' },
  TIKTOK_TOKEN_EXPIRED: { module: 'commerce', status: 502, error: 'TikTokApiError' },
  UNKNOWN_SHOP: { module: 'commerce', status: 403, error: 'WebhookSubjectUnknownError' },
  UNKNOWN_CREATOR: { module: 'commerce', status: 403, error: 'WebhookSubjectUnknownError' },
  UNKNOWN_ORDER: { module: 'commerce', status: 404, error: 'WebhookSubjectUnknownError' },
} as const satisfies Record<string, ErrorCodeInfo<'commerce'>>);

/** A code of {@link COMMERCE_ERROR_REGISTRY}. */
export type CommerceErrorCode = keyof typeof COMMERCE_ERROR_REGISTRY;
