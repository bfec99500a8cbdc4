/**
 * The realtime client (browser and Node): one subscription over SSE (fetch
 * streaming) or WebSocket; reconnects with exponential backoff and jitter,
 * honours `Retry-After`, resumes with its cursor, drops anything it already
 * has, and exposes its connection state as an Observable.
 */
import { BehaviorSubject, type Observable, Subject, distinctUntilChanged } from 'rxjs';
import type { RowOperation } from '../core/row-change.js';
import type { Envelope } from '../core/envelope.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { CursorKeeper } from './cursor-keeper.js';
import { frameDecoder } from './frame-decoder.js';
import { LiveTable } from './live-table.js';
import { FatalConnectionError, isFatalStatus, readEnvelopes, refusalOf } from './sse-fetch.js';

/** Connection states. */
export const CONNECTION_STATES = ['connecting', 'connected', 'reconnecting', 'error', 'closed'] as const;
/** One of {@link CONNECTION_STATES}. */
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** The subset of a WebSocket (browser, Node 22, or `ws`) the client uses. */
export interface ClientWebSocket {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor. */
export type ClientWebSocketConstructor = new (url: string) => ClientWebSocket;

/**
 * Options of {@link connectRealtime}.
 *
 * @example
 * ```ts
 * const client = connectRealtime({
 *   url: 'https://app.example.com/realtime/sse', channel: 'task_board',
 *   filter: 'column=eq.doing', throttleMs: 250,
 *   headers: () => ({ authorization: `Bearer ${token}` }),
 *   backoff: { initialMs: 500, maxMs: 10_000 },
 * });
 * ```
 */
export interface RealtimeClientOptions {
  /** Endpoint: `http(s)://…` for SSE, `ws(s)://…` for WebSocket. */
  url: string;
  /** Default: from the URL scheme. */
  transport?: 'sse' | 'websocket';
  channel: string;
  filter?: string;
  events?: readonly RowOperation[];
  throttleMs?: number;
  /** Resume position (e.g. persisted from an earlier session). */
  cursor?: string | null;
  /** Extra request headers (SSE only; browsers cannot set WebSocket headers). */
  headers?: Record<string, string> | (() => Record<string, string>);
  backoff?: BackoffOptions;
  /** Reconnect when nothing (not even a heartbeat) arrived for this long. Default 75,000 ms. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  WebSocket?: ClientWebSocketConstructor;
  /** Random source for jitter (tests). */
  random?: () => number;
}

/** A connected subscription. */
export interface RealtimeClient {
  /** Connection state; replays the current one to new subscribers. */
  readonly state$: Observable<ConnectionState>;
  /** Envelopes in order, duplicates already dropped. */
  readonly messages$: Observable<Envelope>;
  /** The subscription's rows, kept current. */
  readonly table: LiveTable;
  /** The resume position. */
  readonly cursor: string | null;
  /** The last error (a failed attempt or the reason of `error` state). */
  readonly lastError: unknown;
  /** Counters: connection attempts after the first, snapshots received, stale messages dropped. */
  readonly stats: { reconnects: number; resets: number; duplicatesDropped: number };
  close(): void;
}

class Client implements RealtimeClient {
  readonly #options: RealtimeClientOptions;
  readonly #state = new BehaviorSubject<ConnectionState>('connecting');
  readonly #messages = new Subject<Envelope>();
  readonly table = new LiveTable();
  readonly #keeper: CursorKeeper;
  #attempt = 0;
  #retryAfterMs: number | null = null;
  #closed = false;
  #abort: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #idle: ReturnType<typeof setTimeout> | null = null;
  lastError: unknown = null;
  readonly #reconnects = { count: 0 };

  constructor(options: RealtimeClientOptions) {
    this.#options = options;
    this.#keeper = new CursorKeeper(options.cursor ?? null);
    this.state$ = this.#state.pipe(distinctUntilChanged());
    this.messages$ = this.#messages.asObservable();
    void this.#connect();
  }

  readonly state$: Observable<ConnectionState>;
  readonly messages$: Observable<Envelope>;

  get cursor(): string | null {
    return this.#keeper.cursor;
  }

  get stats(): { reconnects: number; resets: number; duplicatesDropped: number } {
    return { reconnects: this.#reconnects.count, ...this.#keeper.stats };
  }

  #url(): string {
    // Relative URLs resolve against the page in a browser.
    const base = (globalThis as { location?: { href: string } }).location?.href;
    const url = new URL(this.#options.url, base);
    url.searchParams.set('channel', this.#options.channel);
    if (this.#options.filter) url.searchParams.set('filter', this.#options.filter);
    if (this.#options.events) url.searchParams.set('events', this.#options.events.join(','));
    if (this.#options.throttleMs !== undefined)
      url.searchParams.set('throttle', String(this.#options.throttleMs));
    if (this.cursor) url.searchParams.set('cursor', this.cursor);
    return url.toString();
  }

  #transport(): 'sse' | 'websocket' {
    return this.#options.transport ?? (/^wss?:/i.test(this.#options.url) ? 'websocket' : 'sse');
  }

  /** One received envelope: drop duplicates, advance the cursor, publish. */
  #receive(envelope: Envelope): void {
    this.#touch();
    if (envelope.type === 'error') {
      if (envelope.error?.retryAfterMs !== undefined) this.#retryAfterMs = envelope.error.retryAfterMs;
      this.lastError = envelope.error;
      this.#messages.next(envelope);
      return;
    }
    if (!this.#keeper.accept(envelope)) return;
    if (envelope.type === 'ready') this.#attempt = 0;
    this.table.apply(envelope);
    this.#messages.next(envelope);
  }

  /** Restart the idle timer: a silent connection is presumed dead. */
  #touch(): void {
    if (this.#idle) clearTimeout(this.#idle);
    const ms = this.#options.idleTimeoutMs ?? 75_000;
    this.#idle = setTimeout(() => this.#abort?.(), ms);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    this.#state.next(
      this.#attempt === 0 && this.#state.value === 'connecting' ? 'connecting' : 'reconnecting',
    );
    try {
      if (this.#transport() === 'sse') await this.#runSse();
      else await this.#runWebSocket();
      this.lastError = null;
    } catch (err) {
      this.lastError = err;
      if (err instanceof FatalConnectionError) {
        this.#stopTimers();
        if (!this.#closed) this.#state.next('error');
        return;
      }
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
    this.#reconnects.count++;
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  async #runSse(): Promise<void> {
    const doFetch = this.#options.fetch ?? globalThis.fetch;
    const controller = new AbortController();
    this.#abort = () => controller.abort();
    this.#touch();
    const extra =
      typeof this.#options.headers === 'function' ? this.#options.headers() : (this.#options.headers ?? {});
    const headers: Record<string, string> = { accept: 'text/event-stream', ...extra };
    if (this.cursor) headers['last-event-id'] = this.cursor;
    let res: Response;
    try {
      res = await doFetch(this.#url(), { headers, signal: controller.signal, cache: 'no-store' });
    } catch (err) {
      if (this.#closed) return;
      throw err;
    }
    if (!res.ok) {
      const refusal = await refusalOf(res);
      this.#retryAfterMs = refusal.retryAfterMs;
      throw refusal.error;
    }
    if (!res.body) throw new Error('Response has no body');
    this.#state.next('connected');
    try {
      await readEnvelopes(res.body, (envelope) => this.#receive(envelope));
    } catch (err) {
      if (this.#closed) return;
      throw err;
    } finally {
      this.#abort = null;
    }
  }

  #runWebSocket(): Promise<void> {
    const Ctor =
      this.#options.WebSocket ?? (globalThis as { WebSocket?: ClientWebSocketConstructor }).WebSocket ?? null;
    if (!Ctor)
      return Promise.reject(
        new FatalConnectionError(0, 'No WebSocket implementation: pass options.WebSocket'),
      );
    return new Promise<void>((resolve, reject) => {
      const socket = new Ctor(this.#url());
      let fatal: FatalConnectionError | null = null;
      this.#abort = () => socket.close(4000, 'client abort');
      this.#touch();
      socket.onopen = () => this.#state.next('connected');
      // A message it cannot apply: resume from the last one applied, as SSE does, rather than
      // let the next message's cursor move past what this one carried.
      const decode = frameDecoder((err) => {
        this.lastError = err;
        socket.close(4000, 'malformed message');
      });
      socket.onmessage = (ev) => {
        const envelope = decode(ev.data);
        if (!envelope) return;
        try {
          if (envelope.type === 'error' && envelope.error) {
            const status = Number(envelope.error.code === 'TOO_MANY_CONNECTIONS' ? 429 : 0);
            if (status !== 429 && /^(INVALID_|UNKNOWN_|UNAUTHORIZED|VALIDATION_)/.test(envelope.error.code)) {
              fatal = new FatalConnectionError(400, envelope.error.message, envelope.error.code);
            }
          }
          this.#receive(envelope);
        } catch (err) {
          this.lastError = err;
        }
      };
      socket.onerror = () => undefined;
      socket.onclose = (ev) => {
        this.#abort = null;
        if (fatal) reject(fatal);
        else if (ev.code >= 4400 && ev.code < 4500 && isFatalStatus(ev.code - 4000)) {
          reject(new FatalConnectionError(ev.code - 4000, ev.reason));
        } else resolve();
      };
    });
  }

  #stopTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#idle) clearTimeout(this.#idle);
    this.#timer = null;
    this.#idle = null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    this.#abort?.();
    this.#state.next('closed');
    this.#state.complete();
    this.#messages.complete();
  }
}

/**
 * Open a realtime subscription.
 *
 * @example
 * ```ts
 * import { connectRealtime } from '@creatorflow/sync/client';
 * const client = connectRealtime({ url: '/realtime/sse', channel: 'order_metrics' });
 * client.state$.subscribe((s) => badge.textContent = s);
 * client.messages$.subscribe(() => render(client.table.rows()));
 * ```
 */
export function connectRealtime(options: RealtimeClientOptions): RealtimeClient {
  return new Client(options);
}
