/**
 * Errors of the webhook receivers. Each has a stable `code` and the HTTP
 * status it is answered with; the body is `application/problem+json`.
 */
import { ERROR_REGISTRY, type ErrorCodeOf, errorCodesOf } from '../core/error-codes.js';
import { SyncError } from '../core/errors.js';

/** One stable ingest error code. */
export type IngestErrorCode = ErrorCodeOf<'ingest'> | 'PAYLOAD_TOO_LARGE';

/**
 * Stable codes of rejected webhooks, with their HTTP status: a view of the
 * error registry (`ERROR_REGISTRY`), which owns the statuses.
 *
 * @example
 * ```ts
 * INGEST_ERROR_STATUS.SIGNATURE_INVALID // 401
 * ```
 */
export const INGEST_ERROR_STATUS: Readonly<Record<IngestErrorCode, number>> = Object.freeze(
  Object.fromEntries(
    [...errorCodesOf('ingest'), 'PAYLOAD_TOO_LARGE' as const].map((code) => [
      code,
      ERROR_REGISTRY[code].status,
    ]),
  ) as Record<IngestErrorCode, number>,
);

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
