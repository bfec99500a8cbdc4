/**
 * Server-Sent Events transport for Node `http`, Express and Fastify. Each
 * message's `id:` is its cursor, so a reconnecting EventSource (or our
 * client) resumes with `Last-Event-ID`. Gzip when the client accepts it,
 * flushed after each tick's frames; backpressure reaches the subscription.
 */
import { traceStage } from '../core/stage-trace.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Envelope, encodeEnvelope } from '../core/envelope.js';
import { errorToProblem } from '../http/problem.js';
import { UnauthorizedError } from './errors.js';
import type { RealtimeHub, RealtimeSubscription } from './hub.js';
import { isMultiplexUrl } from './multiplex-params.js';
import { errorEnvelope } from './multiplex-session.js';
import { serveMultiplexSse } from './multiplex-sse.js';
import { checkOrigin, compileOrigins } from './origin.js';
import { type EventStreamOutput, acceptsGzip, openEventStream } from './sse-stream.js';
import { parseSubscriptionRequest } from './request-params.js';
import type { Authorization } from './types.js';

/** Resolves who is asking; throw (any error) to refuse with 401. */
export type Authorize = (request: IncomingMessage) => Authorization | Promise<Authorization>;

/**
 * Options of {@link createSseHandler}.
 *
 * @example
 * ```ts
 * const sse = createSseHandler(hub, {
 *   authorize: (req) => ({ userId: userOf(req), tenantIds: boardsOf(req) }), // throw to refuse (401)
 *   allowedOrigins: ['https://dashboard.example.com'],
 *   retryMs: 2_000,
 * });
 * ```
 */
export interface SseHandlerOptions {
  authorize: Authorize;
  /**
   * Browser origins allowed besides the host's own (see `checkOrigin`): exact
   * origins such as `https://dashboard.example.com`, or `'*'`. Checked before
   * `authorize` on requests that carry an `Origin` header.
   */
  allowedOrigins?: readonly string[];
  /** `retry:` hint for EventSource reconnects, in ms. Default 1,000. */
  retryMs?: number;
  /** Allow gzip when the client accepts it. Default true. */
  compress?: boolean;
  /** Subscriptions one multiplexed stream may carry (`TOO_MANY_SUBSCRIPTIONS` past it). Default 50. */
  maxSubscriptionsPerConnection?: number;
}

/**
 * One SSE frame.
 *
 * @example
 * ```ts
 * formatSseFrame(envelope) // 'id: 5:9\nevent: data\ndata: {...}\n\n'
 * ```
 */
export function formatSseFrame(envelope: Envelope): string {
  const id = envelope.cursor !== null && envelope.type !== 'error' ? `id: ${envelope.cursor}\n` : '';
  return `${id}event: ${envelope.type}\ndata: ${encodeEnvelope(envelope)}\n\n`;
}

/**
 * Answer a refused request with an `application/problem+json` body: the one
 * mapping of `errorToProblem` (`@creatorflow/sync/http`), `Retry-After` on 429.
 *
 * @example
 * ```ts
 * try { checkOrigin(req, origins); } catch (err) { sendHttpError(res, err); } // 403 ORIGIN_NOT_ALLOWED
 * ```
 */
export function sendHttpError(res: ServerResponse, err: unknown): void {
  const problem = errorToProblem(err);
  res.statusCode = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.end(problem.body);
}

/** Authorise, mapping any refusal to {@link UnauthorizedError}. */
export async function authorizeRequest(authorize: Authorize, req: IncomingMessage): Promise<Authorization> {
  try {
    const auth = await authorize(req);
    if (!auth || typeof auth.userId !== 'string' || !Array.isArray(auth.tenantIds)) {
      throw new UnauthorizedError('authorize() returned no identity');
    }
    return auth;
  } catch (err) {
    throw err instanceof UnauthorizedError
      ? err
      : new UnauthorizedError('Not authorized for realtime', { cause: err });
  }
}

/**
 * Create an SSE request handler: `GET ?channel=…&filter=…&events=…&throttle=…&cursor=…&select=…`
 * for one subscription, or `GET ?sub.<id>.channel=…&sub.<id>.filter=…` for a
 * multiplexed stream of several (see `serveMultiplexSse`).
 *
 * @example
 * ```ts
 * const sse = createSseHandler(hub, { authorize: (req) => ({ userId: 'u1', tenantIds: ['c1'] }) });
 * http.createServer((req, res) => void sse(req, res));          // node:http
 * app.get('/realtime/sse', (req, res) => void sse(req, res));   // Express
 * fastify.get('/realtime/sse', (req, reply) => { reply.hijack(); return sse(req.raw, reply.raw); }); // Fastify
 * ```
 */
export function createSseHandler(
  hub: RealtimeHub,
  options: SseHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const retryMs = options.retryMs ?? 1000;
  const origins = compileOrigins(options.allowedOrigins);
  return async (req, res) => {
    if (isMultiplexUrl(new URL(req.url ?? '/', 'http://localhost'))) {
      return serveMultiplexSse(hub, req, res, { ...options, retryMs, origins });
    }
    let request;
    let auth;
    try {
      checkOrigin(req, origins);
      const lastEventId = req.headers['last-event-id'];
      request = parseSubscriptionRequest(
        new URL(req.url ?? '/', 'http://localhost'),
        Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
      );
      auth = await authorizeRequest(options.authorize, req);
      hub.validate(request);
    } catch (err) {
      sendHttpError(res, err);
      return;
    }
    if (req.destroyed) return;

    const gzip = acceptsGzip(req, options.compress);
    let out: EventStreamOutput | null = null;
    let started = false;
    let handle: RealtimeSubscription | undefined;
    const start = () => {
      if (started) return;
      started = true;
      out = openEventStream(res, { gzip, retryMs, onDrain: () => handle?.drained() });
    };
    const write = (text: string): boolean => out?.write(text) ?? true;

    try {
      handle = hub.subscribe(
        request,
        auth,
        {
          write: (envelope) => {
            start();
            const written = write(formatSseFrame(envelope));
            if (envelope.type === 'data') {
              traceStage(`sse.written:${envelope.channel}`, () =>
                (envelope.deltas ?? []).map(([, key]) => JSON.stringify(key)),
              );
            }
            return written;
          },
          close: (error) => {
            if (!started && error) {
              sendHttpError(res, error);
              return;
            }
            start();
            if (error) write(formatSseFrame(errorEnvelope(error, undefined, request.channel)));
            out?.end();
          },
        },
        { bindCursors: true },
      );
    } catch (err) {
      sendHttpError(res, err);
      return;
    }
    // Headers go with the first message: a subscription that fails before it (snapshot, admission)
    // still gets a real HTTP status instead of a 200 with an error frame.
    const h = handle;
    res.on('close', () => h.close());
    if (res.destroyed) h.close();
  };
}
