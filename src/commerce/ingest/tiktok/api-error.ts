/**
 * The error of a failed TikTok Shop API call.
 */
import { SyncError } from '../../../core/errors.js';

/**
 * Codes of {@link TikTokApiError}.
 *
 * @example
 * ```ts
 * if ((TIKTOK_API_ERROR_CODES as readonly string[]).includes(err.code)) retryLater();
 * ```
 */
export const TIKTOK_API_ERROR_CODES = [
  'TIKTOK_API_ERROR',
  'TIKTOK_RATE_LIMITED',
  'TIKTOK_NETWORK_ERROR',
  'TIKTOK_TOKEN_EXPIRED',
] as const;

/**
 * A TikTok Shop API call failed after its retries (or with an error not worth retrying).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof TikTokApiError && err.tiktokCode === 105002) refreshToken(); }
 * ```
 */
export class TikTokApiError extends SyncError {
  /** HTTP status, null when the request never got a response. */
  readonly httpStatus: number | null;
  /** TikTok's `code` from the response body, when there was one. */
  readonly tiktokCode: number | undefined;
  readonly requestId: string | undefined;
  /**
   * True when TikTok may have carried the request out although the call failed
   * (a 5xx, or a connection lost after the request was sent): check before
   * sending a non-idempotent request again.
   */
  readonly outcomeUnknown: boolean;
  constructor(
    code: (typeof TIKTOK_API_ERROR_CODES)[number],
    message: string,
    details: {
      httpStatus: number | null;
      tiktokCode?: number;
      requestId?: string;
      outcomeUnknown?: boolean;
      cause?: unknown;
    },
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.httpStatus = details.httpStatus;
    this.tiktokCode = details.tiktokCode;
    this.requestId = details.requestId;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
  }
}
