/**
 * RFC 9457 problem details: every rejected request gets an
 * `application/problem+json` body with a stable `code` to branch on.
 */
import { httpStatusOfCode } from '../core/error-codes.js';
import { type SyncError, isRetryableStoreError, isSyncError } from '../core/errors.js';
import { classifyFailure } from '../runtime/classify-failure.js';
import type { Logger } from '../core/logger.js';
import type { HttpRequestHead, HttpResponse } from './types.js';

/**
 * The content type of problem responses.
 *
 * @example
 * ```ts
 * res.headers['content-type'] === PROBLEM_CONTENT_TYPE
 * ```
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The body of a problem response. */
export interface ProblemDetails {
  /** A URI naming the problem kind (`urn:creatorflow:problem:<code>`). */
  type: string;
  title: string;
  status: number;
  /** Stable machine-readable code, e.g. `SIGNATURE_INVALID`. */
  code: string;
  detail?: string;
  /** Field-level problems of a schema violation. */
  issues?: readonly { path: string; message: string }[];
}

/** An error that knows which HTTP status and problem it maps to. */
export interface HttpProblemError {
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly issues?: readonly { path: string; message: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Build a problem+json response.
 *
 * @example
 * ```ts
 * return problemResponse({ status: 401, code: 'SIGNATURE_INVALID', message: 'Signature does not match' });
 * ```
 */
export function problemResponse(problem: HttpProblemError): HttpResponse {
  const body: ProblemDetails = {
    type: `urn:creatorflow:problem:${problem.code.toLowerCase()}`,
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    code: problem.code,
    detail: problem.message,
  };
  if (problem.issues && problem.issues.length > 0) body.issues = problem.issues;
  return {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...problem.headers },
    body: JSON.stringify(body),
  };
}

const RETRY_SOON = '1';

/** True when `err` carries its own HTTP status and a code (an `IngestError`, an `HttpError`, a host's error). */
function isHttpProblemError(err: unknown): err is HttpProblemError {
  return isSyncError(err) && typeof (err as { status?: unknown }).status === 'number';
}

/** `retry-after` of an error: its `retryAfterSeconds`, or 1 s for a retryable store error. */
function retryAfterOf(err: SyncError): Record<string, string> {
  const seconds = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof seconds === 'number') return { 'retry-after': String(seconds) };
  // The sender tries again later (a webhook redelivery; the idempotency key makes it safe).
  return isRetryableStoreError(err) ? { 'retry-after': RETRY_SOON } : {};
}

const INTERNAL: HttpProblemError = Object.freeze({
  status: 500,
  code: 'INTERNAL_ERROR',
  message: 'The request could not be processed',
});

/**
 * The one mapping from any thrown value to a problem: the HTTP status comes
 * from the error registry (`ERROR_REGISTRY`, or the error's own `status`),
 * the code is the error's own. A status of 500 hides the error (`INTERNAL_ERROR`,
 * no message); an unreachable database is `DATABASE_UNAVAILABLE` 503.
 * SSE refusals send it as the response, WebSocket refusals as the `error`
 * envelope and close code 4000 + status.
 *
 * @example
 * ```ts
 * problemOf(new InvalidArgumentError('bad')) // { status: 400, code: 'INVALID_ARGUMENT', message: 'bad' }
 * // A domain's own codes, from its registry (same shape as ERROR_REGISTRY):
 * problemOf(new InsufficientStockError(shortfalls), COMMERCE_ERROR_REGISTRY).status // 409
 * ```
 */
export function problemOf(err: unknown, statuses?: ErrorStatuses): HttpProblemError {
  if (isHttpProblemError(err)) return err;
  if (isSyncError(err)) {
    const own = statuses !== undefined && Object.hasOwn(statuses, err.code) ? statuses[err.code] : undefined;
    const status = own?.status ?? httpStatusOfCode(err.code);
    if (status !== 500) {
      const issues = (err as { issues?: unknown }).issues;
      const headers = retryAfterOf(err);
      return {
        status,
        code: err.code,
        message: err.message,
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(Array.isArray(issues) && issues.every(isIssue) ? { issues } : {}),
      };
    }
  }
  const failure = classifyFailure(err, { network: false });
  if (failure === 'not_sent' || failure === 'unknown') {
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database is unreachable; try again shortly',
      headers: { 'retry-after': RETRY_SOON },
    };
  }
  if (failure === 'rolled_back') {
    // The server aborted the request for its own reasons (a deadlock, a lock or
    // statement timeout): nothing was kept, and the same request may well pass.
    return {
      status: 503,
      code: 'DATABASE_BUSY',
      message:
        'The database rolled the request back (a deadlock or a lock or statement timeout); try again shortly',
      headers: { 'retry-after': RETRY_SOON },
    };
  }
  return INTERNAL;
}

function isIssue(value: unknown): value is { path: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { path?: unknown }).path === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * Turn any thrown value into a problem response ({@link problemOf}). Library
 * errors keep their code; anything else becomes a 500 whose detail does not
 * leak internals. The client never sees what a 500 hid, so `onInternal`
 * (when given) is called with the error whenever the answer is 500: log it there.
 *
 * @example
 * ```ts
 * try { return await inner(req); } catch (err) { return errorToProblem(err); }
 * // A receiver's 500s in the host's log (see logInternalError):
 * catch (err) { return errorToProblem(err, statuses, (e) => logInternalError(logger, 'webhook:stripe', req, e)); }
 * ```
 */
export function errorToProblem(
  err: unknown,
  statuses?: ErrorStatuses,
  onInternal?: (err: unknown) => void,
): HttpResponse {
  const problem = problemOf(err, statuses);
  if (problem.status === 500) onInternal?.(err);
  return problemResponse(problem);
}

/**
 * Log an error answered as 500 (`INTERNAL_ERROR` hides it from the client):
 * at `error`, under `err`, with the request's method and path (never its
 * query string, headers or body, which may carry credentials).
 *
 * @example
 * ```ts
 * logInternalError(logger, 'webhook:tiktok', req, err);
 * // 2026-12-04T16:00:00.000Z ERROR [webhook:tiktok] request answered 500 {"method":"POST","path":"/api/webhooks/tiktok","err":{…}}
 * ```
 */
export function logInternalError(
  logger: Logger,
  component: string,
  request: Pick<HttpRequestHead, 'method' | 'path'>,
  err: unknown,
): void {
  logger.error({ component, method: request.method, path: request.path, err }, 'request answered 500');
}

/**
 * A domain's codes and their HTTP statuses, in the shape of `ERROR_REGISTRY`
 * (for example `COMMERCE_ERROR_REGISTRY`): what {@link problemOf} answers
 * for codes the generic registry does not know.
 *
 * @example
 * ```ts
 * const statuses: ErrorStatuses = { INSUFFICIENT_STOCK: { status: 409 } };
 * ```
 */
export type ErrorStatuses = Readonly<Record<string, { readonly status: number }>>;
