/**
 * Per-user connection limit (the specification: at most 10 per user).
 */
import { TooManyConnectionsError } from './errors.js';

/**
 * Counts open connections per user.
 *
 * @example
 * ```ts
 * const limiter = new ConnectionLimiter(10);
 * const release = limiter.acquire('u1'); // throws TooManyConnectionsError past 10
 * socket.on('close', release);
 * ```
 */
export class ConnectionLimiter {
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
  acquire(userId: string): () => void {
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
