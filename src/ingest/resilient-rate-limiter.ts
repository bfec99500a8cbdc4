/**
 * A rate limiter shared through a remote backend (Redis) that keeps answering
 * when the backend does not: accepting a webhook does not need the backend, so
 * its failure degrades the limit by policy instead of failing or stalling the
 * request. Every backend call is bounded by a timeout; after a failure the
 * backend is left alone for `retryIntervalMs`, then one request probes it.
 */
import { EventEmitter } from 'eventemitter3';
import {
  createMemoryRateLimiter,
  type RateLimitDecision,
  type RateLimitSettings,
  type RateLimiter,
  type RateLimiterStatus,
  type RateLimiterUnavailablePolicy,
} from './rate-limiter.js';

/** Lifecycle events of a resilient limiter. */
export interface RateLimiterEvents {
  /** The backend failed; the policy decides until it answers again. */
  'rate-limiter:degraded': [status: RateLimiterStatus];
  /** The backend answered again. */
  'rate-limiter:recovered': [status: RateLimiterStatus];
}

/**
 * Options of {@link createResilientRateLimiter}.
 *
 * @example
 * ```ts
 * const limiter = createResilientRateLimiter({
 *   backend: 'redis', consume: (key) => redisWindow(key), settings: { limit: 1_000, windowMs: 60_000 },
 *   whenUnavailable: 'local', timeoutMs: 200, retryIntervalMs: 2_000, isConnected: () => redis.status === 'ready',
 * });
 * ```
 */
export interface ResilientRateLimiterOptions {
  /** Name reported in the status, e.g. `'redis'`. */
  backend: string;
  /** One decision from the backend; may reject or never settle. */
  consume: (key: string) => Promise<RateLimitDecision>;
  /** The limit, used by the per-process fallback. */
  settings: RateLimitSettings;
  /** Default `'local'`. */
  whenUnavailable?: RateLimiterUnavailablePolicy;
  /** Longest wait for the backend per request. Default 500 ms. */
  timeoutMs?: number;
  /** How long to stay off the backend after it failed. Default 1000 ms. */
  retryIntervalMs?: number;
  /** False while the backend is known to be unreachable (skips the call, so nothing queues). */
  isConnected?: () => boolean;
  now?: () => number;
}

/** A limiter that reports its backend's health. */
export interface ResilientRateLimiter extends RateLimiter {
  status(): RateLimiterStatus;
  readonly events: EventEmitter<RateLimiterEvents>;
  /** Tell the limiter its backend failed (e.g. a client `error` event). */
  backendFailed(err: unknown): void;
  /**
   * Tell the limiter its backend answered again (ioredis emits `ready` only
   * after its ready check got a reply): the status is `ok` at once, so health
   * recovers without waiting for traffic, and the next request uses the backend.
   */
  backendReady(): void;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Wrap a backend's decision in timeouts, a fallback policy and a status.
 *
 * @example
 * ```ts
 * const limiter = createResilientRateLimiter({ backend: 'redis', consume: callScript, settings });
 * limiter.events.on('rate-limiter:degraded', (s) => log.warn('rate limits are per process', s.lastError));
 * ```
 */
export function createResilientRateLimiter(options: ResilientRateLimiterOptions): ResilientRateLimiter {
  const { settings } = options;
  const policy = options.whenUnavailable ?? 'local';
  const timeoutMs = options.timeoutMs ?? 500;
  const retryIntervalMs = options.retryIntervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const local = createMemoryRateLimiter({ ...settings, now });
  const events = new EventEmitter<RateLimiterEvents>();
  let status: RateLimiterStatus = { backend: options.backend, state: 'ok', policy, since: now() };
  let retryAt = 0;
  let probing = false;

  function degrade(err: unknown): void {
    retryAt = now() + retryIntervalMs;
    if (status.state === 'degraded') {
      status = { ...status, lastError: message(err) };
      return;
    }
    status = { backend: options.backend, state: 'degraded', policy, since: now(), lastError: message(err) };
    events.emit('rate-limiter:degraded', status);
  }

  function recover(): void {
    if (status.state === 'ok') return;
    status = { backend: options.backend, state: 'ok', policy, since: now() };
    events.emit('rate-limiter:recovered', status);
  }

  function fallback(key: string): Promise<RateLimitDecision> {
    if (policy === 'local') return local.consume(key);
    if (policy === 'allow') {
      return Promise.resolve({
        allowed: true,
        limit: settings.limit,
        remaining: settings.limit,
        retryAfterMs: 0,
      });
    }
    return Promise.resolve({
      allowed: false,
      unavailable: true,
      limit: settings.limit,
      remaining: 0,
      retryAfterMs: Math.max(retryAt - now(), 1000),
    });
  }

  function withTimeout(key: string): Promise<RateLimitDecision> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const call = options.consume(key);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${options.backend} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    // The call may still settle after the timeout: its outcome is dropped, never unhandled.
    call.catch(() => undefined);
    return Promise.race([call, late]).finally(() => clearTimeout(timer));
  }

  return {
    events,
    status: () => status,
    backendFailed: degrade,
    backendReady() {
      retryAt = 0;
      recover();
    },
    async consume(key) {
      if (options.isConnected?.() === false) {
        degrade(new Error(`${options.backend} is not connected`));
        return fallback(key);
      }
      // Degraded: one request at a time probes the backend once the interval has passed.
      if (status.state === 'degraded' && (probing || now() < retryAt)) return fallback(key);
      const probe = status.state === 'degraded';
      if (probe) probing = true;
      try {
        const decision = await withTimeout(key);
        recover();
        return decision;
      } catch (err) {
        degrade(err);
        return fallback(key);
      } finally {
        if (probe) probing = false;
      }
    },
  };
}
