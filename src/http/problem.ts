/**
 * RFC 9457 problem details: every rejected request gets an
 * `application/problem+json` body with a stable `code` to branch on.
 */
import { isRetryableStoreError, isSyncError } from '../core/errors.js';
import { isConnectionFailure } from '../runtime/classify-failure.js';
import type { HttpResponse } from './types.js';

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

/** Library codes that mean the request contradicts what is stored. */
const CONFLICT_CODES = new Set(['CONCURRENCY_CONFLICT', 'IDEMPOTENCY_KEY_REUSED', 'DUPLICATE_EVENT_ID']);
const RETRY_SOON = { 'retry-after': '1' } as const;

/** True when `err` carries an HTTP status and a code. */
function isHttpProblemError(err: unknown): err is HttpProblemError {
  return isSyncError(err) && typeof (err as { status?: unknown }).status === 'number';
}

/**
 * Turn any thrown value into a problem response. Library errors keep their
 * code; anything else becomes a 500 whose detail does not leak internals.
 *
 * @example
 * ```ts
 * try { return await inner(req); } catch (err) { return errorToProblem(err); }
 * ```
 */
export function errorToProblem(err: unknown): HttpResponse {
  if (isHttpProblemError(err)) return problemResponse(err);
  if (isSyncError(err)) {
    if (err.code === 'VALIDATION_FAILED') {
      const issues = (err as { issues?: readonly { path: string; message: string }[] }).issues;
      return problemResponse({
        status: 422,
        code: 'SCHEMA_VIOLATION',
        message: err.message,
        ...(issues ? { issues } : {}),
      });
    }
    if (err.code === 'PAYLOAD_TOO_LARGE')
      return problemResponse({ status: 413, code: err.code, message: err.message });
    if (err.code === 'STORE_CLOSED')
      return problemResponse({ status: 503, code: err.code, message: err.message });
    // Retryable: the sender tries again later (a TikTok or carrier redelivery;
    // the idempotency key makes the retry safe whatever happened).
    if (isRetryableStoreError(err))
      return problemResponse({ status: 503, code: err.code, message: err.message, headers: RETRY_SOON });
    if (CONFLICT_CODES.has(err.code))
      return problemResponse({ status: 409, code: err.code, message: err.message });
  }
  if (isConnectionFailure(err, { network: false })) {
    return problemResponse({
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database is unreachable; try again shortly',
      headers: RETRY_SOON,
    });
  }
  return problemResponse({
    status: 500,
    code: 'INTERNAL_ERROR',
    message: 'The request could not be processed',
  });
}
