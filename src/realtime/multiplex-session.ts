/**
 * The subscriptions of one multiplexed connection, whatever its transport:
 * each added and removed by its client-chosen id without reconnecting, each
 * with its own cursor, resume, filter and `select`. Every envelope goes out
 * with `sub: <id>`. The connection holds one slot of the user's connection
 * limit; its subscriptions take none, and there are at most
 * `maxSubscriptions` of them.
 *
 * A subscription that fails (bad request, snapshot outage) gets an `error`
 * envelope with its id and is removed; the connection and the others stay.
 */
import type { SyncError } from '../core/errors.js';
import { ValidationError } from '../core/errors.js';
import type { Envelope } from '../core/envelope.js';
import { problemOf } from '../http/problem.js';
import { TooManySubscriptionsError } from './errors.js';
import type { RealtimeHub, RealtimeSubscription } from './hub.js';
import { type MultiplexedRequest, SUBSCRIPTION_ID } from './multiplex-params.js';
import type { Authorization } from './types.js';

/** Subscriptions a multiplexed connection may carry by default. */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;

/** What a session needs from its connection. */
export interface MultiplexOutput {
  /** Write one envelope; false when the connection is backed up (call `session.drained()` later). */
  write(envelope: Envelope): boolean;
  /** The hub ended every subscription (it is closing): end the connection. */
  end(): void;
}

/**
 * The error envelope of a refused or failed subscription (or, without `sub`, of the connection).
 *
 * @example
 * ```ts
 * socket.send(encodeEnvelope(errorEnvelope(err, 'orders', 'order_metrics')));
 * ```
 */
export function errorEnvelope(err: unknown, sub?: string, channel = ''): Envelope {
  return {
    type: 'error',
    channel,
    cursor: null,
    serverTime: Date.now(),
    error: wireError(err),
    ...(sub ? { sub } : {}),
  };
}

/**
 * The `error` of an envelope: the code, status and message of the one problem
 * mapping (`problemOf`), so a WebSocket or an SSE frame says what an HTTP refusal would.
 *
 * @example
 * ```ts
 * wireError(new UnknownChannelError('x')) // { code: 'UNKNOWN_CHANNEL', status: 404, message: '…' }
 * ```
 */
export function wireError(err: unknown): NonNullable<Envelope['error']> {
  const problem = problemOf(err);
  const retryAfter = Number(problem.headers?.['retry-after']);
  return {
    code: problem.code,
    status: problem.status,
    message: problem.message,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  };
}

interface Entry {
  handle: RealtimeSubscription | null;
  /** Inside `hub.subscribe`: a failure there is thrown, not sent. */
  subscribing: boolean;
}

/**
 * The live subscriptions of one multiplexed connection.
 *
 * @example
 * ```ts
 * const session = new MultiplexSession(hub, auth, { write: (e) => socket.send(encodeEnvelope(e)), end: () => socket.close() });
 * session.add({ id: 'orders', request: { channel: 'order_metrics' } });
 * session.remove('orders');
 * ```
 */
export class MultiplexSession {
  readonly #hub: RealtimeHub;
  readonly #auth: Authorization;
  readonly #out: MultiplexOutput;
  readonly #max: number;
  readonly #subs = new Map<string, Entry>();
  #closed = false;

  constructor(
    hub: RealtimeHub,
    auth: Authorization,
    out: MultiplexOutput,
    maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
  ) {
    this.#hub = hub;
    this.#auth = auth;
    this.#out = out;
    this.#max = maxSubscriptions;
  }

  /** Ids of the live subscriptions. */
  get ids(): string[] {
    return [...this.#subs.keys()];
  }

  /**
   * Check the size of a set of subscriptions before any is added (an SSE
   * stream refuses its whole URL with one HTTP status). Each subscription's
   * own request is checked by `add`, which refuses it alone.
   *
   * @throws ValidationError (none), TooManySubscriptionsError (too many).
   */
  validateAll(requests: readonly MultiplexedRequest[]): void {
    if (requests.length === 0) {
      throw new ValidationError('Invalid realtime request', [
        { path: 'sub', message: 'a multiplexed stream needs at least one sub.<id>.channel' },
      ]);
    }
    if (requests.length > this.#max) throw new TooManySubscriptionsError(this.#max);
  }

  /**
   * Add a subscription. A refusal (bad id, id in use, cap reached, bad
   * request) is sent as its `error` envelope; returns whether it was added.
   */
  add({ id, request }: MultiplexedRequest): boolean {
    if (this.#closed) return false;
    try {
      if (!SUBSCRIPTION_ID.test(id)) {
        throw new ValidationError('Invalid subscription id', [
          { path: 'sub', message: 'must be 1-32 letters, digits, _ or -' },
        ]);
      }
      if (this.#subs.has(id)) {
        throw new ValidationError('Subscription id in use', [{ path: 'sub', message: `"${id}" is live` }]);
      }
      this.#hub.validate(request);
      if (this.#subs.size >= this.#max) throw new TooManySubscriptionsError(this.#max);
    } catch (err) {
      this.#out.write(errorEnvelope(err, id, request.channel));
      return false;
    }
    const entry: Entry = { handle: null, subscribing: true };
    this.#subs.set(id, entry);
    try {
      entry.handle = this.#hub.subscribe(
        request,
        this.#auth,
        {
          write: (envelope) => this.#out.write({ ...envelope, sub: id }),
          close: (error) => this.#ended(id, entry, request.channel, error),
        },
        { slotHeld: true, bindCursors: true },
      );
      entry.subscribing = false;
      return true;
    } catch (err) {
      if (this.#subs.get(id) === entry) this.#subs.delete(id);
      this.#out.write(errorEnvelope(err, id, request.channel));
      return false;
    }
  }

  /** The hub ended a subscription: an error goes to the client; without one the hub is closing. */
  #ended(id: string, entry: Entry, channel: string, error?: SyncError): void {
    if (this.#subs.get(id) !== entry) return; // removed by the client, or the connection ended
    this.#subs.delete(id);
    if (entry.subscribing) return; // `subscribe` throws next, and `add` reports that
    if (error) this.#out.write(errorEnvelope(error, id, channel));
    else if (!this.#closed) {
      // The hub is closing: end the others here (their own calls then find nothing) and the connection once.
      this.close();
      this.#out.end();
    }
  }

  /** Remove a subscription (unknown ids are ignored: it may have failed meanwhile). */
  remove(id: string): void {
    const entry = this.#subs.get(id);
    if (!entry) return;
    this.#subs.delete(id);
    entry.handle?.close();
  }

  /** The connection can take more: every subscription flushes its queue. */
  drained(): void {
    for (const entry of [...this.#subs.values()]) entry.handle?.drained();
  }

  /** The connection ended: end every subscription. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const entries = [...this.#subs.values()];
    this.#subs.clear();
    for (const entry of entries) entry.handle?.close();
  }
}
