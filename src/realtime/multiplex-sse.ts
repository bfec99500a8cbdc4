/**
 * A multiplexed SSE stream: one response (one slot of the user's connection
 * limit) carrying every subscription named in its URL as `sub.<id>.<param>`.
 *
 * An SSE stream cannot take messages from the client, so its set of
 * subscriptions is fixed: to add or remove one, the client reconnects with
 * the new set, each subscription resuming from its own cursor (no snapshot
 * when the replay buffer covers it). Every frame's `id:` holds all cursors
 * (`orders=812%3A40&alerts=810%3A2`), so a plain EventSource resumes every
 * subscription through `Last-Event-ID` on its own; `sub.<id>.cursor` in the
 * URL is used for a subscription the `Last-Event-ID` does not name.
 *
 * A subscription the hub refuses (unknown channel, bad filter or `select`)
 * gets an `error` frame with its `sub` and the stream serves the others, as
 * on a WebSocket; the whole request is refused with an HTTP status only for
 * what concerns the connection (origin, authorisation, the user's connection
 * limit, a malformed `sub.*` parameter, none or too many subscriptions).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReleaseSlot } from './connection-limiter.js';
import { type Envelope, encodeEnvelope } from '../core/envelope.js';
import type { RealtimeHub } from './hub.js';
import { encodeMultiplexCursor, parseMultiplexUrl } from './multiplex-params.js';
import { MultiplexSession } from './multiplex-session.js';
import { type OriginPolicy, checkOrigin } from './origin.js';
import { type SseHandlerOptions, authorizeRequest, sendHttpError } from './sse.js';
import { type EventStreamOutput, acceptsGzip, openEventStream } from './sse-stream.js';

/** What {@link serveMultiplexSse} takes from the SSE handler. */
export interface MultiplexSseOptions extends SseHandlerOptions {
  retryMs: number;
  origins: OriginPolicy;
}

/**
 * One multiplexed SSE frame: `id:` carries every subscription's cursor.
 *
 * @example
 * ```ts
 * formatMultiplexFrame(envelope, new Map([['orders', '5:9']])) // 'id: orders=5%3A9\nevent: data\ndata: {...}\n\n'
 * ```
 */
export function formatMultiplexFrame(envelope: Envelope, cursors: ReadonlyMap<string, string>): string {
  const id = cursors.size > 0 ? `id: ${encodeMultiplexCursor(cursors)}\n` : '';
  return `${id}event: ${envelope.type}\ndata: ${encodeEnvelope(envelope)}\n\n`;
}

/**
 * Serve a multiplexed SSE request (`createSseHandler` delegates here when the
 * URL names no `channel`).
 *
 * @example
 * ```ts
 * // GET /realtime/sse?sub.orders.channel=order_metrics&sub.alerts.channel=inventory_alerts
 * ```
 */
export async function serveMultiplexSse(
  hub: RealtimeHub,
  req: IncomingMessage,
  res: ServerResponse,
  options: MultiplexSseOptions,
): Promise<void> {
  let session: MultiplexSession;
  let release: ReleaseSlot;
  let requests;
  const cursors = new Map<string, string>();
  let out: EventStreamOutput | null = null;
  const write = (envelope: Envelope): boolean => {
    if (!out) return true;
    const sub = envelope.sub;
    // The client holds, per subscription, the cursor of the last message it applied.
    if (sub !== undefined && envelope.cursor !== null && envelope.type !== 'error')
      cursors.set(sub, envelope.cursor);
    return out.write(formatMultiplexFrame(envelope, cursors));
  };
  try {
    checkOrigin(req, options.origins);
    const lastEventId = req.headers['last-event-id'];
    requests = parseMultiplexUrl(
      new URL(req.url ?? '/', 'http://localhost'),
      Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
    );
    const auth = await authorizeRequest(options.authorize, req);
    session = new MultiplexSession(
      hub,
      auth,
      { write, end: () => out?.end() },
      options.maxSubscriptionsPerConnection,
    );
    session.validateAll(requests);
    release = await hub.acquireConnection(auth.userId);
  } catch (err) {
    sendHttpError(res, err);
    return;
  }
  if (req.destroyed || res.destroyed) {
    release();
    return;
  }
  for (const { id, request } of requests) if (request.cursor) cursors.set(id, request.cursor);
  out = openEventStream(res, {
    gzip: acceptsGzip(req, options.compress),
    retryMs: options.retryMs,
    onDrain: () => session.drained(),
  });
  res.on('close', () => {
    session.close();
    release();
  });
  for (const request of requests) session.add(request);
  // Every subscription was refused (each got its error frame): nothing left to stream.
  if (session.ids.length === 0) out.end();
}
