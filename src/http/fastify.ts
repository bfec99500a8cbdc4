/**
 * Fastify adapter: an encapsulated plugin whose content-type parser keeps the
 * raw body bytes (as a Buffer) for every content type, so signatures are
 * checked over exactly what was sent. Other routes of the host keep their parsers.
 */
import { DEFAULT_ADAPTER_BODY_LIMIT, bodyLimitOf } from './node.js';
import { resolveLogger, type Logger } from '../core/logger.js';
import { logInternalError, problemResponse } from './problem.js';
import type { HttpHandler, HttpHeaders, HttpResponse } from './types.js';

/** The subset of a Fastify request the adapter uses. */
export interface FastifyRequestLike {
  method: string;
  url: string;
  headers: HttpHeaders;
  body?: unknown;
  params?: unknown;
}

/** The subset of a Fastify reply the adapter uses. */
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload: string): FastifyReplyLike;
}

/** The subset of a Fastify instance the adapter uses (declared, so the core never imports fastify). */
export interface FastifyInstanceLike {
  /** The plugin's route prefix (Fastify sets it on the encapsulated instance). */
  readonly prefix?: string;
  removeAllContentTypeParsers(): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit: number },
    parser: (
      request: FastifyRequestLike,
      body: Buffer,
      done: (err: Error | null, body?: unknown) => void,
    ) => void,
  ): unknown;
  setErrorHandler(
    handler: (
      error: { code?: string; statusCode?: number },
      request: FastifyRequestLike,
      reply: FastifyReplyLike,
    ) => unknown,
  ): void;
  route(options: {
    method: string | string[];
    url: string;
    bodyLimit: number;
    handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;
  }): unknown;
}

/**
 * Options of {@link fastifyAdapter}.
 *
 * @example
 * ```ts
 * app.register(fastifyAdapter(ingest, { url: ['/api/webhooks/tiktok', '/api/webhooks/shipping/:provider'], maxBodyBytes: 1 << 20 }));
 * ```
 */
export interface FastifyAdapterOptions {
  /** Route(s) to serve, relative to the plugin's prefix. */
  url: string | readonly string[];
  /** Default `'POST'`. */
  method?: string | string[];
  /**
   * Largest body read, in bytes. Default: the handler's own limit for the
   * route (the receivers' `maxBodyBytes`), else 1 MiB; a smaller value here wins.
   */
  maxBodyBytes?: number;
  /** Where an error answered 500 (`INTERNAL_ERROR`, hidden from the client) is logged. Default: the library's stderr logger. */
  logger?: Logger | undefined;
}

function send(reply: FastifyReplyLike, response: HttpResponse): FastifyReplyLike {
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  return reply.send(response.body);
}

/**
 * A Fastify plugin serving `handler` at `url`. Register it without
 * `fastify-plugin` so its raw-body parser stays encapsulated.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(fastifyAdapter(createIngestHandler(receivers, { store }), {
 *   url: receivers.map((r) => r.path), // e.g. '/api/webhooks/stripe', '/api/webhooks/carrier/:provider'
 * }));
 * ```
 */
export function fastifyAdapter(
  handler: HttpHandler,
  options: FastifyAdapterOptions,
): (instance: FastifyInstanceLike) => Promise<void> {
  const urls = typeof options.url === 'string' ? [options.url] : options.url;
  const method = options.method ?? 'POST';
  const logger = resolveLogger(options.logger, 'fastifyAdapter');
  return async (instance) => {
    // Each route gets the handler's limit for it, so Fastify stops reading there (413).
    const limitOf = (path: string, requestMethod: string) =>
      bodyLimitOf(handler, { method: requestMethod, path, headers: {}, params: {} }, options.maxBodyBytes);
    const firstMethod = typeof method === 'string' ? method : (method[0] ?? 'POST');
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes ?? DEFAULT_ADAPTER_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    instance.setErrorHandler((error, request, reply: FastifyReplyLike) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const limit = limitOf(request.url.split('?')[0] ?? '/', request.method);
        return send(
          reply,
          problemResponse({
            status: 413,
            code: 'PAYLOAD_TOO_LARGE',
            message: `Body is over the limit of ${limit} bytes`,
          }),
        );
      }
      const status =
        error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
          ? error.statusCode
          : 500;
      if (status === 500)
        logInternalError(
          logger,
          'http:fastify',
          { method: request.method, path: request.url.split('?')[0] ?? '/' },
          error,
        );
      const problem =
        status === 500
          ? { status, code: 'INTERNAL_ERROR', message: 'The request failed' }
          : { status, code: 'BAD_REQUEST', message: 'The request could not be read' };
      return send(reply, problemResponse(problem));
    });
    for (const url of urls) {
      instance.route({
        method,
        url,
        // Fastify refuses a bodyLimit of 0 (a GET route that takes no body): one byte is the least it allows.
        bodyLimit: Math.max(1, limitOf(`${instance.prefix ?? ''}${url}`, firstMethod)),
        handler: async (request: FastifyRequestLike, reply: FastifyReplyLike) => {
          const params: Record<string, string> = {};
          if (typeof request.params === 'object' && request.params !== null) {
            for (const [k, v] of Object.entries(request.params)) if (typeof v === 'string') params[k] = v;
          }
          const response = await handler({
            method: request.method,
            path: request.url.split('?')[0] ?? '/',
            headers: request.headers,
            rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
            params,
          });
          return send(reply, response);
        },
      });
    }
  };
}
