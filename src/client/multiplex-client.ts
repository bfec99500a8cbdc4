/**
 * One realtime connection carrying many subscriptions (a dashboard's panels):
 * over a WebSocket (subscribe / unsubscribe messages, no reconnect to add or
 * remove one), SSE over `fetch` (headers allowed), or a browser `EventSource`
 * (cookies only). An SSE stream's subscriptions are fixed, so adding or
 * removing one reconnects at once with the new set, every subscription
 * resuming from its own cursor (changes in the same tick share one
 * reconnect). Reconnects after a failure use backoff with jitter and
 * `Retry-After`, like {@link connectRealtime}.
 */
import { BehaviorSubject, type Observable, Subject, distinctUntilChanged } from 'rxjs';
import type { RowOperation } from '../core/row-change.js';
import type { Envelope } from '../core/envelope.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { CursorKeeper } from './cursor-keeper.js';
import { frameDecoder } from './frame-decoder.js';
import { LiveTable } from './live-table.js';
import type { ClientWebSocket, ConnectionState } from './realtime-client.js';
import { FatalConnectionError, isFatalStatus, readEnvelopes, refusalOf } from './sse-fetch.js';

/** The subset of a browser `EventSource` used here. */
export interface ClientEventSource {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  addEventListener(type: string, listener: (ev: { data?: unknown }) => void): void;
  close(): void;
}

/** An `EventSource` constructor. */
export type ClientEventSourceConstructor = new (
  url: string,
  init?: { withCredentials?: boolean },
) => ClientEventSource;

/** A WebSocket that can also send (browser, Node 22, or `ws`). */
export interface MultiplexWebSocket extends ClientWebSocket {
  send(data: string): void;
}

/** A {@link MultiplexWebSocket} constructor. */
export type MultiplexWebSocketConstructor = new (url: string) => MultiplexWebSocket;

/**
 * Options of {@link connectMultiplexed}.
 *
 * @example
 * ```ts
 * const connection = connectMultiplexed({
 *   url: 'https://app.example.com/realtime/sse',
 *   headers: () => ({ authorization: `Bearer ${token}` }), // read again on every reconnect
 *   backoff: { initialMs: 500, maxMs: 30_000 },
 *   idleTimeoutMs: 60_000,
 * });
 * ```
 */
export interface MultiplexClientOptions {
  /** Endpoint: `ws(s)://…` for a WebSocket, `http(s)://…` (or a path) for SSE. */
  url: string;
  /** Default: `websocket` for `ws(s)://`, else `sse` (fetch streaming). */
  transport?: 'websocket' | 'sse' | 'eventsource';
  /** Extra request headers (fetch SSE only). */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** EventSource: send cookies cross-origin. */
  withCredentials?: boolean;
  backoff?: BackoffOptions;
  /** Reconnect when nothing (not even a heartbeat) arrived for this long. Default 75,000 ms. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  WebSocket?: MultiplexWebSocketConstructor;
  EventSource?: ClientEventSourceConstructor;
  random?: () => number;
}

/**
 * What one subscription asks for.
 *
 * @example
 * ```ts
 * const alerts = connection.subscribe({
 *   channel: 'inventory_alerts',
 *   filter: 'severity=eq.critical',
 *   events: ['INSERT', 'UPDATE'],
 *   select: ['product_id', 'severity', 'message'],
 *   cursor: localStorage.getItem('alerts-cursor'), // resume where the last session stopped
 * });
 * ```
 */
export interface LiveSubscriptionOptions {
  channel: string;
  filter?: string;
  events?: readonly RowOperation[];
  throttleMs?: number;
  /** Resume position (e.g. persisted from an earlier session). */
  cursor?: string | null;
  /** Only these columns (plus the key columns) in deltas and rows. */
  select?: readonly string[];
}

/** States of one subscription: `pending` until its first `ready`, `error` when refused for good. */
export type LiveSubscriptionState = 'pending' | 'live' | 'error' | 'closed';

/** One subscription of a multiplexed connection. */
export interface LiveSubscription {
  /** The id the client chose (`sub` on the wire); never reused by this connection. */
  readonly id: string;
  readonly channel: string;
  readonly state$: Observable<LiveSubscriptionState>;
  /** Envelopes in order, duplicates already dropped (its own `error`s too). */
  readonly messages$: Observable<Envelope>;
  readonly table: LiveTable;
  readonly cursor: string | null;
  readonly lastError: unknown;
  readonly stats: { resets: number; duplicatesDropped: number };
  /** Remove it (WebSocket: an unsubscribe message; SSE: a reconnect without it). */
  close(): void;
}

/** A multiplexed connection. */
export interface RealtimeConnection {
  readonly state$: Observable<ConnectionState>;
  readonly lastError: unknown;
  /** Connection attempts after the first. */
  readonly stats: { reconnects: number };
  /** Add a subscription (sent at once on a live WebSocket). */
  subscribe(options: LiveSubscriptionOptions): LiveSubscription;
  close(): void;
}

/** Per-subscription codes a retry cannot fix: the subscription ends in `error`. */
const FATAL_CODES = /^(INVALID_|UNKNOWN_|UNAUTHORIZED|VALIDATION_|TOO_MANY_SUBSCRIPTIONS|ORIGIN_)/;

class Sub implements LiveSubscription {
  readonly id: string;
  readonly channel: string;
  readonly options: LiveSubscriptionOptions;
  readonly table = new LiveTable();
  readonly keeper: CursorKeeper;
  readonly state = new BehaviorSubject<LiveSubscriptionState>('pending');
  readonly messages = new Subject<Envelope>();
  readonly state$: Observable<LiveSubscriptionState>;
  readonly messages$: Observable<Envelope>;
  lastError: unknown = null;
  /** Failures in a row (backoff of its own re-subscribe). */
  attempt = 0;
  readonly #onClose: (sub: Sub) => void;

  constructor(id: string, options: LiveSubscriptionOptions, onClose: (sub: Sub) => void) {
    this.id = id;
    this.channel = options.channel;
    this.options = options;
    this.keeper = new CursorKeeper(options.cursor ?? null);
    this.state$ = this.state.pipe(distinctUntilChanged());
    this.messages$ = this.messages.asObservable();
    this.#onClose = onClose;
  }

  get cursor(): string | null {
    return this.keeper.cursor;
  }

  get stats(): { resets: number; duplicatesDropped: number } {
    return this.keeper.stats;
  }

  /** Wire parameters, with the current cursor. */
  params(): Record<string, string> {
    const o = this.options;
    const p: Record<string, string> = { channel: o.channel };
    if (o.filter) p.filter = o.filter;
    if (o.events) p.events = o.events.join(',');
    if (o.throttleMs !== undefined) p.throttle = String(o.throttleMs);
    if (o.select) p.select = o.select.join(',');
    if (this.cursor) p.cursor = this.cursor;
    return p;
  }

  receive(envelope: Envelope): void {
    if (!this.keeper.accept(envelope)) return;
    if (envelope.type === 'ready') {
      this.attempt = 0;
      this.state.next('live');
    }
    this.table.apply(envelope);
    this.messages.next(envelope);
  }

  end(state: 'error' | 'closed'): void {
    if (this.state.value === 'closed' || this.state.value === 'error') return;
    this.state.next(state);
    this.state.complete();
    this.messages.complete();
  }

  close(): void {
    if (this.state.value === 'closed') return;
    this.end('closed');
    this.#onClose(this);
  }
}

/** A running transport: how the connection talks to it. */
interface Link {
  /** A subscription was added (WebSocket: send it; SSE: reconnect). */
  add(sub: Sub): void;
  remove(sub: Sub): void;
  abort(): void;
}

class Connection implements RealtimeConnection {
  readonly #options: MultiplexClientOptions;
  readonly #state = new BehaviorSubject<ConnectionState>('connecting');
  readonly state$: Observable<ConnectionState>;
  readonly #subs = new Map<string, Sub>();
  readonly stats = { reconnects: 0 };
  lastError: unknown = null;
  #nextId = 1;
  #attempt = 0;
  #retryAfterMs: number | null = null;
  #closed = false;
  #link: Link | null = null;
  #running = false;
  #restartQueued = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #idle: ReturnType<typeof setTimeout> | null = null;

  constructor(options: MultiplexClientOptions) {
    this.#options = options;
    this.state$ = this.#state.pipe(distinctUntilChanged());
    // Subscriptions made in the same tick as the connection go out on its first attempt.
    queueMicrotask(() => void this.#connect());
  }

  #transport(): 'websocket' | 'sse' | 'eventsource' {
    return this.#options.transport ?? (/^wss?:/i.test(this.#options.url) ? 'websocket' : 'sse');
  }

  subscribe(options: LiveSubscriptionOptions): LiveSubscription {
    const sub = new Sub(`s${this.#nextId++}`, options, (s) => this.#removed(s));
    if (this.#closed) {
      sub.end('closed');
      return sub;
    }
    this.#subs.set(sub.id, sub);
    this.#link?.add(sub);
    if (!this.#running) this.#kick();
    return sub;
  }

  #removed(sub: Sub): void {
    if (this.#subs.delete(sub.id)) this.#link?.remove(sub);
  }

  /** An SSE stream with nothing to carry waits for a subscription. */
  #kick(): void {
    if (this.#timer === null && !this.#closed && !this.#running) queueMicrotask(() => void this.#connect());
  }

  /** SSE: reconnect at once with the new set (once per tick). */
  #restart(): void {
    if (this.#restartQueued) return;
    this.#restartQueued = true;
    queueMicrotask(() => {
      this.#restartQueued = false;
      this.#link?.abort();
    });
  }

  #url(extra: Record<string, string> = {}): URL {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    const url = new URL(this.#options.url, base);
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    return url;
  }

  /** The URL of an SSE stream: every subscription as `sub.<id>.<param>`, with its cursor. */
  #sseUrl(): string {
    const extra: Record<string, string> = {};
    for (const sub of this.#subs.values()) {
      for (const [k, v] of Object.entries(sub.params())) extra[`sub.${sub.id}.${k}`] = v;
    }
    return this.#url(extra).toString();
  }

  #touch(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#link?.abort(), this.#options.idleTimeoutMs ?? 75_000);
  }

  /** One envelope from the server. */
  #receive(envelope: Envelope): void {
    this.#touch();
    const sub = envelope.sub === undefined ? undefined : this.#subs.get(envelope.sub);
    if (envelope.type === 'error') {
      const error = envelope.error;
      if (error?.retryAfterMs !== undefined) this.#retryAfterMs = error.retryAfterMs;
      if (envelope.sub === undefined) {
        this.lastError = error;
        return; // the server closes the connection next
      }
      if (!sub) return;
      sub.lastError = error;
      sub.messages.next(envelope);
      if (error && FATAL_CODES.test(error.code)) {
        this.#subs.delete(sub.id);
        sub.end('error');
      } else this.#retrySub(sub);
      return;
    }
    if (!sub) return; // removed meanwhile
    if (envelope.type === 'ready') this.#attempt = 0;
    sub.receive(envelope);
  }

  /** A subscription failed for a passing reason (snapshot outage): subscribe it again after a backoff. */
  #retrySub(sub: Sub): void {
    const delay = backoffDelay(sub.attempt++, this.#options.backoff, this.#options.random);
    setTimeout(() => {
      if (this.#subs.get(sub.id) === sub) this.#link?.add(sub);
    }, delay);
  }

  async #connect(): Promise<void> {
    if (this.#closed || this.#running) return;
    this.#timer = null;
    const transport = this.#transport();
    if (transport !== 'websocket' && this.#subs.size === 0) return; // nothing to carry yet
    this.#running = true;
    this.#state.next(this.stats.reconnects === 0 ? 'connecting' : 'reconnecting');
    let restart = false;
    try {
      if (transport === 'websocket') await this.#runWebSocket();
      else restart = await (transport === 'sse' ? this.#runSse() : this.#runEventSource());
      this.lastError = null;
    } catch (err) {
      this.lastError = err;
      if (err instanceof FatalConnectionError) {
        this.#running = false;
        this.#stop('error');
        return;
      }
    } finally {
      this.#running = false;
      this.#link = null;
    }
    if (restart && !this.#closed) {
      void this.#connect(); // the set changed: no backoff
      return;
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    this.#state.next('reconnecting');
    const delay = Math.max(
      this.#retryAfterMs ?? 0,
      backoffDelay(this.#attempt, this.#options.backoff, this.#options.random),
    );
    this.#retryAfterMs = null;
    this.#attempt++;
    this.stats.reconnects++;
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  /** WebSocket: subscriptions come and go by message. */
  #runWebSocket(): Promise<void> {
    const Ctor =
      this.#options.WebSocket ??
      (globalThis as { WebSocket?: MultiplexWebSocketConstructor }).WebSocket ??
      null;
    if (!Ctor) return Promise.reject(new FatalConnectionError(0, 'No WebSocket implementation'));
    return new Promise<void>((resolve, reject) => {
      const socket = new Ctor(this.#url().toString());
      let open = false;
      const send = (message: object) => open && socket.send(JSON.stringify(message));
      const subscribe = (sub: Sub) => send({ type: 'subscribe', sub: sub.id, ...sub.params() });
      this.#link = {
        add: subscribe,
        remove: (sub) => send({ type: 'unsubscribe', sub: sub.id }),
        abort: () => socket.close(4000, 'client abort'),
      };
      this.#touch();
      socket.onopen = () => {
        open = true;
        this.#state.next('connected');
        // Every subscription resumes from its own cursor.
        for (const sub of this.#subs.values()) subscribe(sub);
      };
      // Every subscription resumes from the last message it applied (a later
      // message's cursor would move past what a malformed one carried).
      const decode = frameDecoder((err) => {
        this.lastError = err;
        socket.close(4000, 'malformed message');
      });
      socket.onmessage = (ev) => {
        const envelope = decode(ev.data);
        if (!envelope) return;
        try {
          this.#receive(envelope);
        } catch (err) {
          this.lastError = err;
        }
      };
      socket.onerror = () => undefined;
      socket.onclose = (ev) => {
        if (ev.code >= 4400 && ev.code < 4500 && isFatalStatus(ev.code - 4000)) {
          reject(new FatalConnectionError(ev.code - 4000, ev.reason, ev.reason));
        } else resolve();
      };
    });
  }

  /** SSE over fetch; resolves true when it ended because the set changed. */
  async #runSse(): Promise<boolean> {
    const doFetch = this.#options.fetch ?? globalThis.fetch;
    const controller = new AbortController();
    let restart = false;
    this.#link = {
      add: () => {
        restart = true;
        this.#restart();
      },
      remove: () => {
        restart = true;
        this.#restart();
      },
      abort: () => controller.abort(),
    };
    this.#touch();
    const extra =
      typeof this.#options.headers === 'function' ? this.#options.headers() : (this.#options.headers ?? {});
    // The cursors travel in the URL (`sub.<id>.cursor`), which covers every subscription.
    const headers: Record<string, string> = { accept: 'text/event-stream', ...extra };
    try {
      const res = await doFetch(this.#sseUrl(), { headers, signal: controller.signal, cache: 'no-store' });
      if (!res.ok) {
        const refusal = await refusalOf(res);
        this.#retryAfterMs = refusal.retryAfterMs;
        throw refusal.error;
      }
      if (!res.body) throw new Error('Response has no body');
      this.#state.next('connected');
      await readEnvelopes(res.body, (envelope) => this.#receive(envelope));
    } catch (err) {
      if (this.#closed || restart) return restart;
      throw err;
    }
    return restart;
  }

  /** A browser EventSource (cookies only). Its own retries are replaced by ours, with backoff and fresh cursors. */
  #runEventSource(): Promise<boolean> {
    const Ctor =
      this.#options.EventSource ??
      (globalThis as { EventSource?: ClientEventSourceConstructor }).EventSource ??
      null;
    if (!Ctor) return Promise.reject(new FatalConnectionError(0, 'No EventSource implementation'));
    return new Promise<boolean>((resolve) => {
      const source = new Ctor(this.#sseUrl(), { withCredentials: this.#options.withCredentials === true });
      let restart = false;
      const finish = () => {
        source.close();
        resolve(restart);
      };
      // Resume from the last message applied, with fresh cursors.
      const decode = frameDecoder((err) => {
        this.lastError = err;
        finish();
      });
      const changed = () => {
        restart = true;
        this.#restart();
      };
      this.#link = { add: changed, remove: changed, abort: finish };
      this.#touch();
      source.onopen = () => this.#state.next('connected');
      for (const type of ['reset', 'data', 'ready', 'heartbeat', 'error']) {
        source.addEventListener(type, (ev) => {
          // A bare 'error' event is the EventSource's own: the stream broke or was refused.
          if (typeof ev.data !== 'string') return;
          const envelope = decode(ev.data);
          if (!envelope) return;
          try {
            this.#receive(envelope);
          } catch (err) {
            this.lastError = err;
          }
        });
      }
      source.onerror = () => finish();
    });
  }

  #stop(state: 'error' | 'closed'): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#idle) clearTimeout(this.#idle);
    this.#timer = null;
    this.#idle = null;
    if (state === 'closed') this.#closed = true;
    this.#state.next(state);
    for (const sub of this.#subs.values()) sub.end(state);
    this.#subs.clear();
    if (state === 'closed') this.#state.complete();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#link?.abort();
    this.#stop('closed');
  }
}

/**
 * Open one realtime connection for many subscriptions.
 *
 * @example
 * ```ts
 * import { connectMultiplexed } from '@creatorflow/sync/client';
 * const connection = connectMultiplexed({ url: 'wss://host/realtime/ws' }); // or '/realtime/sse'
 * const orders = connection.subscribe({ channel: 'order_metrics', select: ['active_orders'] });
 * orders.messages$.subscribe(() => render(orders.table.rows()));
 * orders.close(); // the connection stays open for the others
 * ```
 */
export function connectMultiplexed(options: MultiplexClientOptions): RealtimeConnection {
  return new Connection(options);
}
