/**
 * Per-user connection limit (the specification: at most 10 per user). The hub
 * talks to a port: the in-memory {@link ConnectionLimiter} counts this
 * process's connections; a shared one (Redis, `@creatorflow/sync/redis`)
 * makes the limit hold across every host process.
 */
import { TooManyConnectionsError } from './errors.js';

/** Gives a connection slot back (idempotent). */
export type ReleaseSlot = () => void;

/**
 * Where the hub takes a slot for each connection.
 *
 * @example
 * ```ts
 * const hub = createRealtimeHub({ channels, snapshot, connectionLimiter: createRedisConnectionLimiter({ redis }) });
 * ```
 */
export interface ConnectionLimiterPort {
  /**
   * Take a slot for one connection of `userId`: synchronously (in memory) or
   * as a promise (shared). Throws or rejects with `TooManyConnectionsError`
   * past the limit; any other rejection refuses the connection with 503.
   */
  acquire(userId: string): ReleaseSlot | Promise<ReleaseSlot>;
  /** True while a shared limiter runs on its fallback (its store unreachable); health shows it. */
  readonly degraded?: boolean;
}

/**
 * Counts open connections per user in this process.
 *
 * @example
 * ```ts
 * const limiter = new ConnectionLimiter(10);
 * const release = limiter.acquire('u1'); // throws TooManyConnectionsError past 10
 * socket.on('close', release);
 * ```
 */
export class ConnectionLimiter implements ConnectionLimiterPort {
  readonly #max: number;
  readonly #retryAfterSeconds: number;
  readonly #open = new Map<string, number>();

  constructor(max = 10, retryAfterSeconds = 5) {
    this.#max = max;
    this.#retryAfterSeconds = retryAfterSeconds;
  }

  /** Open connections of a user. */
  count(userId: string): number {
    return this.#open.get(userId) ?? 0;
  }

  /** Take a slot; the returned function gives it back (idempotent). */
  acquire(userId: string): ReleaseSlot {
    const n = this.count(userId);
    if (n >= this.#max) throw new TooManyConnectionsError(userId, this.#max, this.#retryAfterSeconds);
    this.#open.set(userId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(userId) - 1;
      if (left <= 0) this.#open.delete(userId);
      else this.#open.set(userId, left);
    };
  }
}
