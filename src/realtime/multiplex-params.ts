/**
 * The multiplexed form of a realtime URL and of SSE's `Last-Event-ID`.
 *
 * A URL carries several subscriptions as `sub.<id>.<param>` (the
 * single-subscription parameters, prefixed by a client-chosen id):
 * `?sub.orders.channel=order_metrics&sub.alerts.channel=inventory_alerts&sub.alerts.select=severity`.
 * A multiplexed SSE frame's `id:` holds every subscription's cursor in one
 * string, `orders=812%3A40&alerts=810%3A2` (form-encoded), so a reconnecting
 * EventSource resumes each subscription from its own cursor.
 */
import { ValidationError } from '../core/errors.js';
import { SUBSCRIPTION_PARAMS, subscriptionFromParams } from './request-params.js';
import type { SubscriptionRequest } from './types.js';

/** A client-chosen subscription id: 1–32 letters, digits, `_` or `-`. */
export const SUBSCRIPTION_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** One subscription of a multiplexed connection. */
export interface MultiplexedRequest {
  /** The client's id for it, echoed as `sub` on every envelope. */
  id: string;
  request: SubscriptionRequest;
}

const PREFIX = 'sub.';

/**
 * True when a URL asks for a multiplexed connection: it names no `channel`
 * (a WebSocket then adds subscriptions by message) or it carries `sub.*` parameters.
 *
 * @example
 * ```ts
 * isMultiplexUrl(new URL('http://h/realtime/sse?sub.a.channel=order_metrics')) // true
 * ```
 */
export function isMultiplexUrl(url: URL): boolean {
  return !url.searchParams.has('channel');
}

/**
 * The subscriptions of a multiplexed URL, in the order their ids first
 * appear; cursors from a multiplexed `Last-Event-ID` win over `sub.<id>.cursor`.
 *
 * @throws ValidationError (400) on a bad id, an unknown `sub.<id>.<param>`, or a malformed value.
 * @example
 * ```ts
 * parseMultiplexUrl(new URL('http://h/rt?sub.a.channel=order_metrics&sub.a.select=active_orders'))
 * // [{ id: 'a', request: { channel: 'order_metrics', select: ['active_orders'], cursor: null, … } }]
 * ```
 */
export function parseMultiplexUrl(url: URL, lastEventId?: string | null): MultiplexedRequest[] {
  const byId = new Map<string, Record<string, string>>();
  for (const [name, value] of url.searchParams) {
    // Other parameters are the host's own (a token, a user): not ours to refuse.
    if (!name.startsWith(PREFIX)) continue;
    const rest = name.slice(PREFIX.length);
    const dot = rest.lastIndexOf('.');
    const id = rest.slice(0, dot);
    const param = rest.slice(dot + 1);
    if (dot < 0 || !SUBSCRIPTION_ID.test(id)) throw invalid(name, 'bad subscription id');
    if (!(SUBSCRIPTION_PARAMS as readonly string[]).includes(param)) throw invalid(name, 'unknown parameter');
    const params = byId.get(id) ?? {};
    params[param] = value;
    byId.set(id, params);
  }
  const cursors = decodeMultiplexCursor(lastEventId);
  return [...byId].map(([id, params]) => ({
    id,
    request: subscriptionFromParams(params, cursors.get(id), `sub.${id}.`),
  }));
}

/**
 * Every subscription's cursor as one SSE `id:` (form-encoded `id=cursor` pairs).
 *
 * @example
 * ```ts
 * encodeMultiplexCursor(new Map([['orders', '812:40']])) // 'orders=812%3A40'
 * ```
 */
export function encodeMultiplexCursor(cursors: ReadonlyMap<string, string>): string {
  return new URLSearchParams([...cursors]).toString();
}

/**
 * The cursors of a multiplexed `Last-Event-ID` (empty for none or a plain cursor).
 *
 * @example
 * ```ts
 * decodeMultiplexCursor('orders=812%3A40').get('orders') // '812:40'
 * ```
 */
export function decodeMultiplexCursor(text: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!text || !text.includes('=')) return out;
  for (const [id, cursor] of new URLSearchParams(text.trim())) {
    if (SUBSCRIPTION_ID.test(id) && cursor !== '') out.set(id, cursor);
  }
  return out;
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError('Invalid realtime request', [{ path, message }]);
}
