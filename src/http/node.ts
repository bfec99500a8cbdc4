/**
 * Adapter for Node's own `http` module, and the raw-body reader the Express
 * adapter shares.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveLogger, type Logger } from '../core/logger.js';
import { logInternalError, problemResponse } from './problem.js';
import type { HttpHandler, HttpRequestHead, HttpResponse } from './types.js';

/**
 * Largest body the adapters read for a handler that sets no limit of its own: 1 MiB.
 *
 * @example
 * ```ts
 * expressAdapter(handler, { maxBodyBytes: DEFAULT_ADAPTER_BODY_LIMIT / 4 });
 * ```
 */
export const DEFAULT_ADAPTER_BODY_LIMIT = 1024 * 1024;

/**
 * The one body limit of a request: the handler's (`maxBodyBytes`, e.g. a
 * receiver's 256 KiB), lowered by the adapter's option when that is smaller;
 * {@link DEFAULT_ADAPTER_BODY_LIMIT} when neither sets one.
 *
 * @example
 * ```ts
 * const limit = bodyLimitOf(handler, { method: 'POST', path: '/api/webhooks/tiktok', headers, params: {} });
 * ```
 */
export function bodyLimitOf(handler: HttpHandler, head: HttpRequestHead, adapterLimit?: number): number {
  const own = handler.maxBodyBytes?.(head);
  if (own === undefined) return adapterLimit ?? DEFAULT_ADAPTER_BODY_LIMIT;
  return adapterLimit === undefined ? own : Math.min(own, adapterLimit);
}

/** Outcome of reading a body. */
export type RawBodyResult = { ok: true; body: Buffer } | { ok: false; response: HttpResponse };

function tooLarge(limit: number): HttpResponse {
  return problemResponse({
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: `Body is over the limit of ${limit} bytes`,
    headers: { connection: 'close' },
  });
}

const bodyReadFailed = (): RawBodyResult => ({
  ok: false,
  response: problemResponse({ status: 400, code: 'BODY_READ_FAILED', message: 'Body could not be read' }),
});

/**
 * Read the raw request bytes, stopping at `limit` (a 413 problem then).
 *
 * @example
 * ```ts
 * const read = await readRawBody(req, 1024 * 1024);
 * if (!read.ok) return send(res, read.response);
 * ```
 */
export function readRawBody(req: IncomingMessage, limit: number): Promise<RawBodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ ok: false, response: tooLarge(limit) });
  }
  return new Promise((resolve) => {
    // A webhook body nearly always arrives as one chunk: keep it as is rather
    // than copy it through Buffer.concat.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        first = more = undefined;
        resolve({ ok: false, response: tooLarge(limit) });
      } else if (first === undefined) {
        first = chunk;
      } else {
        (more ??= [first]).push(chunk);
      }
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = more ? Buffer.concat(more, size) : (first ?? Buffer.alloc(0));
      resolve({ ok: true, body });
    });
    req.on('error', () => {
      if (done) return;
      done = true;
      resolve(bodyReadFailed());
    });
    // A client that disconnects mid-body never sends 'end': settle instead of hanging.
    req.on('close', () => {
      if (done || req.complete) return;
      done = true;
      resolve(bodyReadFailed());
    });
  });
}

/**
 * Write a handler response to a Node response.
 *
 * @example
 * ```ts
 * sendResponse(res, await handler(request));
 * ```
 */
export function sendResponse(res: ServerResponse, response: HttpResponse): void {
  // One writeHead with every header: when no header was set before, Node
  // formats the list directly instead of keeping a header map per response
  // (headers a framework already set are merged as before).
  const headers: (string | number)[] = [];
  for (const name of Object.keys(response.headers)) headers.push(name, response.headers[name]!);
  headers.push('content-length', Buffer.byteLength(response.body));
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/**
 * Options of the Node and Express adapters.
 *
 * @example
 * ```ts
 * http.createServer(nodeAdapter(ingest, { maxBodyBytes: 1 << 20 }));
 * ```
 */
export interface NodeAdapterOptions {
  /**
   * Largest body read, in bytes. Default: the handler's own limit (the
   * receivers' `maxBodyBytes`), else 1 MiB; a smaller value here wins.
   */
  maxBodyBytes?: number;
  /**
   * Where an error the handler threw (answered 500 `INTERNAL_ERROR`, hidden
   * from the client) is logged. Default: the library's stderr logger. The
   * Express adapter hands such errors to `next` instead, as Express expects.
   */
  logger?: Logger | undefined;
}

/**
 * A `(req, res)` listener for `http.createServer` running a framework-agnostic handler.
 *
 * @example
 * ```ts
 * http.createServer(nodeAdapter(createIngestHandler(receivers, { store }))).listen(3000);
 * ```
 */
export function nodeAdapter(
  handler: HttpHandler,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const logger = resolveLogger(options.logger, 'nodeAdapter');
  return (req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const head: HttpRequestHead = {
        method: req.method ?? 'GET',
        path: url.split('?')[0] ?? '/',
        headers: req.headers,
        params: {},
      };
      const read = await readRawBody(req, bodyLimitOf(handler, head, options.maxBodyBytes));
      if (!read.ok) return sendResponse(res, read.response);
      const response = await handler({
        method: head.method,
        path: head.path,
        headers: head.headers,
        rawBody: read.body,
        params: head.params,
      });
      sendResponse(res, response);
    })().catch((err: unknown) => {
      logInternalError(
        logger,
        'http:node',
        { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/' },
        err,
      );
      if (!res.headersSent) {
        sendResponse(
          res,
          problemResponse({ status: 500, code: 'INTERNAL_ERROR', message: 'The request failed' }),
        );
      }
    });
  };
}
