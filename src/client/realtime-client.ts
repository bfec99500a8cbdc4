/**
 * The realtime client (browser and Node): one subscription over SSE (fetch
 * streaming) or WebSocket; reconnects with exponential backoff and jitter,
 * honours `Retry-After`, resumes with its cursor, drops anything it already
 * has, and exposes its connection state as an Observable.
 */
import { BehaviorSubject, type Observable, Subject, distinctUntilChanged } from 'rxjs';
import type { RowOperation } from '../core/row-change.js';
import { compareCheckpoints, isCheckpoint } from '../store/checkpoint.js';
import { type Envelope, decodeEnvelope } from '../realtime/envelope.js';
import { type BackoffOptions, backoffDelay, parseRetryAfter } from './backoff.js';
import { LiveTable } from './live-table.js';
import { SseParser } from './sse-parser.js';

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

/** HTTP / close statuses a retry cannot fix. */
function isFatal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

class FatalError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

class Client implements RealtimeClient {
  readonly #options: RealtimeClientOptions;
  readonly #state = new BehaviorSubject<ConnectionState>('connecting');
  readonly #messages = new Subject<Envelope>();
  readonly table = new LiveTable();
  #cursor: string | null;
  #attempt = 0;
  #retryAfterMs: number | null = null;
  #closed = false;
  #abort: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #idle: ReturnType<typeof setTimeout> | null = null;
  lastError: unknown = null;
  readonly stats = { reconnects: 0, resets: 0, duplicatesDropped: 0 };

  constructor(options: RealtimeClientOptions) {
    this.#options = options;
    this.#cursor = options.cursor ?? null;
    this.state$ = this.#state.pipe(distinctUntilChanged());
    this.messages$ = this.#messages.asObservable();
    void this.#connect();
  }

  readonly state$: Observable<ConnectionState>;
  readonly messages$: Observable<Envelope>;

  get cursor(): string | null {
    return this.#cursor;
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
    if (this.#cursor) url.searchParams.set('cursor', this.#cursor);
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
    const c = envelope.cursor;
    if (envelope.type === 'data' && c !== null && this.#cursor !== null && !this.#isAfter(c)) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (envelope.type === 'reset') this.stats.resets++;
    if (c !== null) {
      if (
        envelope.type === 'reset' ||
        envelope.type === 'data' ||
        this.#cursor === null ||
        this.#isAfter(c)
      ) {
        this.#cursor = c;
      }
    }
    if (envelope.type === 'ready') this.#attempt = 0;
    this.table.apply(envelope);
    this.#messages.next(envelope);
  }

  #isAfter(cursor: string): boolean {
    if (!isCheckpoint(cursor) || !isCheckpoint(this.#cursor)) return cursor !== this.#cursor;
    return compareCheckpoints(cursor, this.#cursor) > 0;
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
      if (err instanceof FatalError) {
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
    this.stats.reconnects++;
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
    if (this.#cursor) headers['last-event-id'] = this.#cursor;
    let res: Response;
    try {
      res = await doFetch(this.#url(), { headers, signal: controller.signal, cache: 'no-store' });
    } catch (err) {
      if (this.#closed) return;
      throw err;
    }
    if (!res.ok) {
      this.#retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      const text = await res.text().catch(() => '');
      let code: string | undefined;
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
      } catch {
        code = undefined;
      }
      if (isFatal(res.status)) throw new FatalError(res.status, `HTTP ${res.status}: ${text}`, code);
      throw new Error(`HTTP ${res.status}`);
    }
    if (!res.body) throw new Error('Response has no body');
    this.#state.next('connected');
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          if (event.data === '') continue;
          this.#receive(decodeEnvelope(event.data));
        }
      }
    } catch (err) {
      if (this.#closed) return;
      throw err;
    } finally {
      this.#abort = null;
      reader.releaseLock?.();
    }
  }

  #runWebSocket(): Promise<void> {
    const Ctor =
      this.#options.WebSocket ?? (globalThis as { WebSocket?: ClientWebSocketConstructor }).WebSocket ?? null;
    if (!Ctor)
      return Promise.reject(new FatalError(0, 'No WebSocket implementation: pass options.WebSocket'));
    return new Promise<void>((resolve, reject) => {
      const socket = new Ctor(this.#url());
      let fatal: FatalError | null = null;
      this.#abort = () => socket.close(4000, 'client abort');
      this.#touch();
      socket.onopen = () => this.#state.next('connected');
      socket.onmessage = (ev) => {
        try {
          const envelope = decodeEnvelope(typeof ev.data === 'string' ? ev.data : String(ev.data));
          if (envelope.type === 'error' && envelope.error) {
            const status = Number(envelope.error.code === 'TOO_MANY_CONNECTIONS' ? 429 : 0);
            if (status !== 429 && /^(INVALID_|UNKNOWN_|UNAUTHORIZED|VALIDATION_)/.test(envelope.error.code)) {
              fatal = new FatalError(400, envelope.error.message, envelope.error.code);
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
        else if (ev.code >= 4400 && ev.code < 4500 && isFatal(ev.code - 4000)) {
          reject(new FatalError(ev.code - 4000, ev.reason));
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
