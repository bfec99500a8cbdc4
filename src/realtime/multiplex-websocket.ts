/**
 * A multiplexed WebSocket: one connection (one slot of the user's limit)
 * carrying many subscriptions, added and removed by client messages without
 * reconnecting:
 *
 * ```json
 * {"type":"subscribe","sub":"orders","channel":"order_metrics","cursor":"812:40","select":"active_orders"}
 * {"type":"unsubscribe","sub":"orders"}
 * ```
 *
 * A subscribe message takes the URL parameters by name (`filter`, `events`,
 * `throttle`, `cursor`, `select`; lists as a comma-separated string or an
 * array). Every envelope the server sends carries `sub`. The upgrade URL may
 * name initial subscriptions as `sub.<id>.<param>`.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { encodeEnvelope } from '../core/envelope.js';
import type { RealtimeHub } from './hub.js';
import type { ReleaseSlot } from './connection-limiter.js';
import { parseMultiplexUrl, type MultiplexedRequest } from './multiplex-params.js';
import { MultiplexSession, errorEnvelope } from './multiplex-session.js';
import { checkOrigin, compileOrigins } from './origin.js';
import { subscriptionFromParams } from './request-params.js';
import { authorizeRequest } from './sse.js';
import { type WebSocketHandlerOptions, type WebSocketLike, closeCodeOf } from './websocket.js';

const OPEN = 1;

const list = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v.join(',') : v))
  .optional();

const clientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    sub: z.string(),
    channel: z.string(),
    filter: z.string().optional(),
    events: list,
    throttle: z
      .union([z.number(), z.string()])
      .transform((v) => String(v))
      .optional(),
    cursor: z.string().nullable().optional(),
    select: list,
  }),
  z.object({ type: z.literal('unsubscribe'), sub: z.string() }),
]);

/** A client message of a multiplexed WebSocket. */
export type MultiplexClientMessage = z.input<typeof clientMessage>;

/**
 * Read one client message.
 *
 * @throws ValidationError (`VALIDATION_FAILED`) when it is not a valid subscribe or unsubscribe.
 * @example
 * ```ts
 * parseClientMessage('{"type":"unsubscribe","sub":"orders"}') // { type: 'unsubscribe', sub: 'orders' }
 * ```
 */
export function parseClientMessage(
  text: string,
): { type: 'subscribe'; subscription: MultiplexedRequest } | { type: 'unsubscribe'; sub: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('Invalid realtime message', [{ path: '', message: 'not JSON' }]);
  }
  const parsed = clientMessage.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(
      'Invalid realtime message',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const m = parsed.data;
  if (m.type === 'unsubscribe') return m;
  const { type: _type, sub, cursor, ...params } = m;
  return {
    type: 'subscribe',
    subscription: { id: sub, request: subscriptionFromParams({ ...params, cursor: cursor ?? undefined }) },
  };
}

/** The sub id a malformed message meant, when it can be read, so its error reaches that subscription. */
function subOf(text: string): string | undefined {
  try {
    const sub = (JSON.parse(text) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serve one multiplexed WebSocket (`handleWebSocket` delegates here when the
 * upgrade URL names no `channel`).
 *
 * @example
 * ```ts
 * wss.on('connection', (socket, req) => void handleMultiplexWebSocket(hub, socket, req, { authorize }));
 * ```
 */
export async function handleMultiplexWebSocket(
  hub: RealtimeHub,
  socket: WebSocketLike,
  request: IncomingMessage,
  options: WebSocketHandlerOptions,
): Promise<void> {
  const highWater = options.highWaterBytes ?? 1024 * 1024;
  let closed = false;
  let session: MultiplexSession | null = null;
  // Listen at once: messages sent while the host authorises are kept, not lost.
  const early: string[] = [];
  const onMessage = (text: string): void => {
    if (!session) {
      early.push(text);
      return;
    }
    try {
      const message = parseClientMessage(text);
      if (message.type === 'subscribe') session.add(message.subscription);
      else session.remove(message.sub);
    } catch (err) {
      send(errorEnvelope(err, subOf(text)));
    }
  };
  socket.on('message', (data) => onMessage(String(data)));
  let release: ReleaseSlot | null = null;
  const ended = () => {
    closed = true;
    session?.close();
    release?.();
    release = null;
  };
  socket.on('close', ended);
  socket.on('error', ended);

  let blocked = false;
  const afterSend = () => {
    if (blocked && socket.bufferedAmount < highWater / 2) {
      blocked = false;
      session?.drained();
    }
  };
  function send(envelope: Parameters<typeof encodeEnvelope>[0]): boolean {
    if (socket.readyState !== OPEN) return true;
    socket.send(encodeEnvelope(envelope), afterSend);
    if (socket.bufferedAmount >= highWater) blocked = true;
    return !blocked;
  }

  let initial: MultiplexedRequest[];
  try {
    checkOrigin(request, compileOrigins(options.allowedOrigins));
    initial = parseMultiplexUrl(new URL(request.url ?? '/', 'http://localhost'));
    const auth = await authorizeRequest(options.authorize, request);
    // One slot for the connection, however many subscriptions it carries.
    const slot = await hub.acquireConnection(auth.userId);
    if (closed) {
      slot();
      return;
    }
    release = slot;
    session = new MultiplexSession(
      hub,
      auth,
      { write: send, end: () => socket.close(1001, 'going away') },
      options.maxSubscriptionsPerConnection,
    );
  } catch (err) {
    if (socket.readyState === OPEN) {
      send(errorEnvelope(err));
      socket.close(closeCodeOf(err), errorEnvelope(err).error!.code);
    }
    return;
  }
  for (const subscription of initial) session.add(subscription);
  for (const text of early.splice(0)) onMessage(text);
}
