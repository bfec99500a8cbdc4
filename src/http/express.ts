/**
 * Express adapter: runs a framework-agnostic handler as Express middleware,
 * reading the raw body bytes itself (mount it without `express.json()` in
 * front, or behind `express.raw()`), so signatures see exactly what was sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyLimitOf, readRawBody, sendResponse, type NodeAdapterOptions } from './node.js';
import { problemResponse } from './problem.js';
import type { HttpHandler, HttpRequestHead } from './types.js';

/** The subset of an Express request the adapter uses. */
export type ExpressRequestLike = IncomingMessage & {
  originalUrl?: string;
  params?: Record<string, string>;
  body?: unknown;
};

/** An Express middleware, declared structurally (no import of express). */
export type ExpressMiddleware = (
  req: ExpressRequestLike,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Wrap a handler as Express middleware. The path passed on is the full
 * `originalUrl` path (so routers work when mounted under a prefix); Express's
 * route params are passed through.
 *
 * @example
 * ```ts
 * const app = express();
 * app.post('/api/webhooks/stripe', expressAdapter(createStripeHandler({ store, secret })));
 * app.use(expressAdapter(createIngestHandler(receivers, { store }))); // or one router for every receiver
 * ```
 */
export function expressAdapter(handler: HttpHandler, options: NodeAdapterOptions = {}): ExpressMiddleware {
  return (req, res, next) => {
    handleExpressRequest(handler, options.maxBodyBytes, req, res).catch(next);
  };
}

async function handleExpressRequest(
  handler: HttpHandler,
  adapterLimit: number | undefined,
  req: ExpressRequestLike,
  res: ServerResponse,
): Promise<void> {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  const head: HttpRequestHead = {
    method: req.method ?? 'GET',
    path: query === -1 ? url : url.slice(0, query),
    headers: req.headers,
    // A copy: Express reuses and rewrites req.params while routing.
    params: Object.assign({}, req.params),
  };
  let rawBody: Buffer;
  if (Buffer.isBuffer(req.body)) {
    rawBody = req.body;
  } else if (req.body !== undefined && req.body !== null && req.readableEnded) {
    // A JSON parser already consumed the stream: the signed bytes are gone.
    return sendResponse(
      res,
      problemResponse({
        status: 500,
        code: 'RAW_BODY_UNAVAILABLE',
        message: 'A body parser ran before the webhook receiver; mount it without express.json()',
      }),
    );
  } else {
    const read = await readRawBody(req, bodyLimitOf(handler, head, adapterLimit));
    if (!read.ok) return sendResponse(res, read.response);
    rawBody = read.body;
  }
  const response = await handler({
    method: head.method,
    path: head.path,
    headers: head.headers,
    rawBody,
    params: head.params,
  });
  sendResponse(res, response);
}
