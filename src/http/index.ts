export { headerValue, jsonResponse, withBodyLimit } from './types.js';
export type { HttpHandler, HttpHeaders, HttpRequest, HttpRequestHead, HttpResponse } from './types.js';
export { HttpError, isHttpError } from './errors.js';
export type { HttpErrorCode } from './errors.js';
export {
  errorToProblem,
  logInternalError,
  PROBLEM_CONTENT_TYPE,
  problemOf,
  problemResponse,
  type ErrorStatuses,
} from './problem.js';
export type { HttpProblemError, ProblemDetails } from './problem.js';
export { createRouter } from './router.js';
export type { Route } from './router.js';
export { bodyLimitOf, DEFAULT_ADAPTER_BODY_LIMIT, nodeAdapter, readRawBody, sendResponse } from './node.js';
export type { NodeAdapterOptions, RawBodyResult } from './node.js';
export { expressAdapter } from './express.js';
export type { ExpressMiddleware, ExpressRequestLike } from './express.js';
export { fastifyAdapter } from './fastify.js';
export type {
  FastifyAdapterOptions,
  FastifyInstanceLike,
  FastifyReplyLike,
  FastifyRequestLike,
} from './fastify.js';
