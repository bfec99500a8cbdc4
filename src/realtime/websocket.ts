/**
 * WebSocket transport on `ws` (Express / node:http) and `@fastify/websocket`,
 * taken structurally. Same query parameters and envelopes as SSE; the cursor
 * travels in the URL (`?cursor=`). Use {@link WEBSOCKET_SERVER_OPTIONS} so
 * messages over 1 KB are compressed (permessage-deflate).
 */
import type { IncomingMessage } from 'node:http';
import { encodeEnvelope } from '../core/envelope.js';
import { httpStatusOf } from './errors.js';
import type { RealtimeHub } from './hub.js';
import { isMultiplexUrl } from './multiplex-params.js';
import { handleMultiplexWebSocket } from './multiplex-websocket.js';
import { errorEnvelope } from './multiplex-session.js';
import { checkOrigin, compileOrigins } from './origin.js';
import { parseSubscriptionRequest } from './request-params.js';
import { type Authorize, authorizeRequest } from './sse.js';

/** The subset of a `ws` WebSocket used here. */
export interface WebSocketLike {
  send(data: string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Client messages (multiplexed connections: subscribe / unsubscribe). */
  on(event: 'message', listener: (data: unknown) => void): unknown;
  readonly bufferedAmount: number;
  readonly readyState: number;
}

/** The subset of a `ws` WebSocketServer used here. */
export interface WebSocketServerLike {
  on(event: 'connection', listener: (socket: WebSocketLike, request: IncomingMessage) => void): unknown;
}

/**
 * Options for `new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server })`:
 * permessage-deflate for messages over 1 KB only (small deltas are cheaper raw).
 *
 * @example
 * ```ts
 * const wss = new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/realtime/ws' });
 * ```
 */
export const WEBSOCKET_SERVER_OPTIONS = Object.freeze({
  perMessageDeflate: Object.freeze({ threshold: 1024 }),
});

/**
 * Options of {@link handleWebSocket}.
 *
 * @example
 * ```ts
 * attachWebSocketServer(hub, wss, {
 *   authorize: (req) => ({ userId: userOf(req), tenantIds: boardsOf(req) }),
 *   allowedOrigins: ['https://dashboard.example.com'],
 *   highWaterBytes: 1 << 20, // close a consumer this far behind
 * });
 * ```
 */
export interface WebSocketHandlerOptions {
  authorize: Authorize;
  /**
   * Browser origins allowed besides the host's own (see `checkOrigin`): exact
   * origins such as `https://dashboard.example.com`, or `'*'`. Browsers send
   * `Origin` on every upgrade; it is checked before `authorize`.
   */
  allowedOrigins?: readonly string[];
  /** Bytes buffered in the socket before the subscription is told to hold back. Default 1 MiB. */
  highWaterBytes?: number;
  /** Subscriptions one multiplexed connection may carry (`TOO_MANY_SUBSCRIPTIONS` past it). Default 50. */
  maxSubscriptionsPerConnection?: number;
}

const OPEN = 1;

/**
 * Close code of an error: 4000 + the HTTP status of its problem (4400, 4401,
 * 4404, 4429, …), from the same mapping as SSE and webhook refusals.
 *
 * @example
 * ```ts
 * socket.close(closeCodeOf(err), problemOf(err).code); // 4403 ORIGIN_NOT_ALLOWED
 * ```
 */
export function closeCodeOf(err: unknown): number {
  return 4000 + httpStatusOf(err);
}

/**
 * Serve one accepted WebSocket (`request` is the HTTP upgrade request). An
 * upgrade URL with `channel=` carries that one subscription; one without is
 * multiplexed (see `handleMultiplexWebSocket`): subscriptions come and go by message.
 *
 * @example
 * ```ts
 * // @fastify/websocket
 * fastify.get('/realtime/ws', { websocket: true }, (socket, req) => void handleWebSocket(hub, socket, req.raw, { authorize }));
 * ```
 */
export async function handleWebSocket(
  hub: RealtimeHub,
  socket: WebSocketLike,
  request: IncomingMessage,
  options: WebSocketHandlerOptions,
): Promise<void> {
  if (isMultiplexUrl(new URL(request.url ?? '/', 'http://localhost'))) {
    return handleMultiplexWebSocket(hub, socket, request, options);
  }
  const highWater = options.highWaterBytes ?? 1024 * 1024;
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  // A malformed frame (say, unmasked) makes ws emit 'error' and close the
  // socket; unheard, that error would end the host's process.
  socket.on('error', () => {
    closed = true;
  });
  const refuse = (err: unknown, channel: string) => {
    const envelope = errorEnvelope(err, undefined, channel);
    if (socket.readyState === OPEN) {
      socket.send(encodeEnvelope(envelope));
      socket.close(closeCodeOf(err), envelope.error!.code);
    }
  };
  let subscriptionRequest;
  let auth;
  try {
    checkOrigin(request, compileOrigins(options.allowedOrigins));
    subscriptionRequest = parseSubscriptionRequest(new URL(request.url ?? '/', 'http://localhost'));
    auth = await authorizeRequest(options.authorize, request);
  } catch (err) {
    refuse(err, '');
    return;
  }
  if (closed) return;
  let blocked = false;
  let handle: { drained(): void; close(): void } | null = null;
  const afterSend = () => {
    if (blocked && socket.bufferedAmount < highWater / 2) {
      blocked = false;
      handle?.drained();
    }
  };
  try {
    handle = hub.subscribe(
      subscriptionRequest,
      auth,
      {
        write: (envelope) => {
          if (socket.readyState !== OPEN) return true;
          socket.send(encodeEnvelope(envelope), afterSend);
          if (socket.bufferedAmount >= highWater) blocked = true;
          return !blocked;
        },
        close: (error) => {
          if (error) refuse(error, subscriptionRequest.channel);
          else socket.close(1001, 'going away');
        },
      },
      { bindCursors: true },
    );
  } catch (err) {
    refuse(err, subscriptionRequest.channel);
    return;
  }
  const h = handle;
  socket.on('close', () => h.close());
  if (closed) h.close();
}

/**
 * Serve every connection of a `ws` WebSocketServer.
 *
 * @example
 * ```ts
 * import { WebSocketServer } from 'ws';
 * attachWebSocketServer(hub, new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/realtime/ws' }), { authorize });
 * ```
 */
export function attachWebSocketServer(
  hub: RealtimeHub,
  wss: WebSocketServerLike,
  options: WebSocketHandlerOptions,
): void {
  compileOrigins(options.allowedOrigins); // a bad list fails here, at startup
  wss.on('connection', (socket, request) => {
    void handleWebSocket(hub, socket, request, options);
  });
}
