/**
 * The errors of the HTTP layer itself: answers of the router and the
 * framework adapters that no other module's error names.
 */
import { type ErrorCodeOf, httpStatusOfCode } from '../core/error-codes.js';
import { SyncError } from '../core/errors.js';

/** A code of {@link HttpError}. */
export type HttpErrorCode = ErrorCodeOf<'http'>;

/**
 * A request the HTTP layer refuses (wrong method, unreadable body, no
 * session); `status` comes from the error registry.
 *
 * @example
 * ```ts
 * return errorToProblem(new HttpError('FORBIDDEN', 'The conflict queue needs the admin role'));
 * ```
 */
export class HttpError extends SyncError {
  declare readonly code: HttpErrorCode;
  readonly status: number;
  /** Extra response headers (e.g. `allow` of a 405). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: HttpErrorCode,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = httpStatusOfCode(code);
    this.headers = options.headers ?? {};
  }
}

/**
 * True when `err` is an {@link HttpError}.
 *
 * @example
 * ```ts
 * if (isHttpError(err) && err.code === 'METHOD_NOT_ALLOWED') console.log(err.headers.allow);
 * ```
 */
export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
