/**
 * The Redis layer shared by every host: entries as JSON with a TTL, and a
 * short lock so one host loads an expensive key while the others wait for
 * its copy. Every command is bounded by a timeout and skipped while the
 * client is not connected, so a Redis outage costs a read nothing but the
 * layer: the caller falls through to memory and the loader.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { nominalRetryDelayMs, type RetryPolicy } from '../runtime/retry-policy.js';
import { PollLoop, type PollWait } from '../runtime/poll-loop.js';
import { parseEntry, type CacheEntry } from './cache-entry.js';

/**
 * The subset of an ioredis client the cache uses (declared, so nothing imports
 * ioredis types). Give it a client created with `enableOfflineQueue: false`
 * or let the cache skip commands while `status` is not `'ready'`.
 *
 * @example
 * ```ts
 * const redis: CacheRedisLike = new Redis(url, { enableOfflineQueue: false });
 * ```
 */
export interface CacheRedisLike {
  get(key: string): Promise<string | null>;
  psetex(key: string, milliseconds: number, value: string): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  /** ioredis's connection state. */
  readonly status?: string;
  on?(event: 'ready' | 'error', listener: (arg?: unknown) => void): unknown;
  off?(event: 'ready' | 'error', listener: (arg?: unknown) => void): unknown;
}

const ACQUIRE = `return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The pauses of {@link RedisLayer.waitForCopy} between looks for another
 * host's copy: 2 ms doubling to 50 ms (only the delay formula is used; the
 * wait is bounded by its timeout, not by attempts).
 */
const COPY_POLL_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: Number.MAX_SAFE_INTEGER,
  minTimeoutMs: 2,
  maxTimeoutMs: 50,
  factor: 2,
  jitter: false,
});

/** A look found the lock still held. */
const LOADING = Symbol('loading');

/** Events of a {@link RedisLayer}. */
export interface RedisLayerEvents {
  /** Redis answered again after failing. */
  up: [];
  /** A command failed or timed out; the layer is skipped until Redis answers again. */
  down: [error: unknown];
}

/** Options of {@link RedisLayer}. */
export interface RedisLayerOptions {
  redis: CacheRedisLike;
  prefix: string;
  commandTimeoutMs: number;
}

/**
 * Redis entries and load locks.
 *
 * @example
 * ```ts
 * const layer = new RedisLayer({ redis: new Redis(url), prefix: 'app:cache:', commandTimeoutMs: 200 });
 * await layer.set('k', JSON.stringify(entry), 60_000);
 * ```
 */
export class RedisLayer extends EventEmitter<RedisLayerEvents> {
  readonly #redis: CacheRedisLike;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  #up = true;
  #lastError: unknown = undefined;
  readonly #onReady = (): void => this.#markUp();

  constructor(options: RedisLayerOptions) {
    super();
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#redis.on?.('ready', this.#onReady);
  }

  /** False while Redis is failing (reads and writes skip it). */
  get up(): boolean {
    return this.#up && this.#connected();
  }

  /** The last error seen while Redis was down. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Resolve once the client is connected, or after `timeoutMs` (then the layer starts out down). */
  async ready(timeoutMs: number): Promise<void> {
    if (this.#connected() || this.#redis.status === 'wait' || !this.#redis.on) return;
    let onReady: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      onReady = resolve;
      timer = setTimeout(resolve, timeoutMs);
      this.#redis.on!('ready', onReady);
    });
    clearTimeout(timer);
    this.#redis.off?.('ready', onReady!);
  }

  /** The entry stored for `key`, or null (also when Redis is down). */
  async get(key: string): Promise<CacheEntry | null> {
    const text = await this.#run(() => this.#redis.get(this.#prefix + key));
    return typeof text === 'string' ? parseEntry(text) : null;
  }

  /** Store a serialized entry for `retainMs`; false when Redis did not take it. */
  async set(key: string, serialized: string, retainMs: number): Promise<boolean> {
    const ok = await this.#run(() =>
      this.#redis.psetex(this.#prefix + key, Math.max(1, Math.ceil(retainMs)), serialized),
    );
    return ok !== undefined;
  }

  async delete(key: string): Promise<void> {
    await this.#run(() => this.#redis.del(this.#prefix + key));
  }

  /** Try to take the load lock of `key`; returns a release function, or null when another host holds it (or Redis is down). */
  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    const lockKey = `${this.#prefix}lock:${key}`;
    const token = randomUUID();
    const got = await this.#run(() => this.#redis.eval(ACQUIRE, 1, lockKey, token, Math.ceil(ttlMs)));
    if (got !== 1) return null;
    return async () => {
      await this.#run(() => this.#redis.eval(RELEASE, 1, lockKey, token));
    };
  }

  /** Whether another host holds the load lock of `key` (false when Redis is down). */
  async locked(key: string): Promise<boolean> {
    const holder = await this.#run(() => this.#redis.get(`${this.#prefix}lock:${key}`));
    return typeof holder === 'string';
  }

  /**
   * Poll for the copy another host is loading under its lock, until one that
   * `accept`s lands, the lock is gone, or `timeoutMs` passes; null then. The
   * runtime's poll loop waits between looks, 2 ms doubling to 50 ms
   * ({@link COPY_POLL_POLICY}), first of all before the first look: the lock
   * was just seen held.
   */
  waitForCopy(
    key: string,
    accept: (entry: CacheEntry) => boolean | Promise<boolean>,
    timeoutMs: number,
  ): Promise<CacheEntry | null> {
    const deadline = performance.now() + timeoutMs;
    let looks = 0;
    const pause = (): PollWait | 'stop' => {
      const left = deadline - performance.now();
      if (left <= 0 || !this.up) return 'stop';
      return { ms: Math.min(left, nominalRetryDelayMs(COPY_POLL_POLICY, ++looks)), wakeable: false };
    };
    return new Promise((resolve, reject) => {
      const first = pause();
      if (first === 'stop') return resolve(null);
      new PollLoop({
        turn: async () => {
          const copy = await this.#copyOrGone(key, accept);
          const next = copy === LOADING ? pause() : 'stop';
          if (next === 'stop') resolve(copy === LOADING ? null : copy);
          return next;
        },
        onError: (err) => {
          reject(err); // `accept` threw
          return 'stop';
        },
      }).start({ first });
    });
  }

  /** One look: an accepted copy; null when the lock is gone without one; LOADING while it is held. */
  async #copyOrGone(
    key: string,
    accept: (entry: CacheEntry) => boolean | Promise<boolean>,
  ): Promise<CacheEntry | null | typeof LOADING> {
    const copy = await this.get(key);
    if (copy && (await accept(copy))) return copy;
    if (await this.locked(key)) return LOADING;
    const last = await this.get(key);
    return last && (await accept(last)) ? last : null;
  }

  /** Stop listening to the client (the client stays open: it is the host's). */
  close(): void {
    this.#redis.off?.('ready', this.#onReady);
    this.removeAllListeners();
  }

  #connected(): boolean {
    const status = this.#redis.status;
    return status === undefined || status === 'ready';
  }

  /** Run a command with a timeout; undefined when Redis is down or failed. */
  async #run<T>(command: () => Promise<T>): Promise<T | undefined> {
    if (!this.#connected()) {
      this.#markDown(new Error(`Redis is ${this.#redis.status ?? 'unavailable'}`));
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      const result = await Promise.race([command(), timeout]);
      this.#markUp();
      return result;
    } catch (err) {
      this.#markDown(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  #markUp(): void {
    if (this.#up) return;
    this.#up = true;
    this.#lastError = undefined;
    this.emit('up');
  }

  #markDown(err: unknown): void {
    this.#lastError = err;
    if (!this.#up) return;
    this.#up = false;
    this.emit('down', err);
  }
}
