/**
 * Errors of the webhook receivers. Each has a stable `code` and the HTTP
 * status it is answered with; the body is `application/problem+json`.
 */
import { SyncError } from '../core/errors.js';

/**
 * Stable codes of rejected webhooks, with their HTTP status.
 *
 * @example
 * ```ts
 * INGEST_ERROR_STATUS.SIGNATURE_INVALID // 401
 * ```
 */
export const INGEST_ERROR_STATUS = {
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  API_KEY_MISSING: 401,
  API_KEY_INVALID: 401,
  STALE_TIMESTAMP: 401,
  UNKNOWN_PROVIDER: 404,
  UNKNOWN_SHOP: 403,
  UNKNOWN_CREATOR: 403,
  UNKNOWN_ORDER: 404,
  MALFORMED_JSON: 400,
  TIMESTAMP_OUT_OF_RANGE: 400,
  SCHEMA_VIOLATION: 422,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  RATE_LIMITER_UNAVAILABLE: 503,
  RAW_BODY_UNAVAILABLE: 500,
} as const;

/** One stable ingest error code. */
export type IngestErrorCode = keyof typeof INGEST_ERROR_STATUS;

/**
 * Every ingest error code.
 *
 * @example
 * ```ts
 * INGEST_ERROR_CODES.includes(problem.code)
 * ```
 */
export const INGEST_ERROR_CODES = Object.keys(INGEST_ERROR_STATUS) as IngestErrorCode[];

/**
 * A webhook was rejected. Nothing was written.
 *
 * @example
 * ```ts
 * throw new IngestError('SIGNATURE_INVALID', 'Authorization does not match the body');
 * ```
 */
export class IngestError extends SyncError {
  override readonly code: IngestErrorCode;
  /** HTTP status the request is answered with. */
  readonly status: number;
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Field-level problems of a schema violation. */
  readonly issues: readonly { path: string; message: string }[];

  constructor(
    code: IngestErrorCode,
    message: string,
    options: {
      cause?: unknown;
      headers?: Record<string, string>;
      issues?: readonly { path: string; message: string }[];
    } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = INGEST_ERROR_STATUS[code];
    this.headers = options.headers ?? {};
    this.issues = options.issues ?? [];
  }
}

/**
 * True when `err` is an {@link IngestError}.
 *
 * @example
 * ```ts
 * if (isIngestError(err)) console.log(err.status, err.code);
 * ```
 */
export function isIngestError(err: unknown): err is IngestError {
  return err instanceof IngestError;
}
