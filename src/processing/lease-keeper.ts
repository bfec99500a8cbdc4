/**
 * Keeps a lease alive with a heartbeat and reports when it is lost.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { acquireLease, releaseLease, renewLease, type LeaseTarget } from './lease.js';
import type { SqlQueryable } from '../core/sql-client.js';

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  sql: SqlQueryable;
  schema: string;
  name: string;
  /** Default {@link defaultLeaseOwner}(). */
  owner?: string;
  /** How long a lease lasts without a heartbeat (default 20 000 ms). */
  ttlMs?: number;
  /** Heartbeat interval (default ttl / 3). */
  renewIntervalMs?: number;
  /** Called once when a heartbeat finds the lease gone. */
  onLost?: () => void;
  /** Called when a heartbeat fails (database error); the lease is kept until it expires. */
  onError?: (err: unknown) => void;
}

/**
 * A unique owner id for this process: host, pid and a random suffix.
 *
 * @example
 * ```ts
 * defaultLeaseOwner() // 'web-1:4242:9f1c…'
 * ```
 */
export function defaultLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Acquire a lease, renew it on a timer, release it on stop.
 *
 * @example
 * ```ts
 * const keeper = new LeaseKeeper({ sql, schema, name: 'saga-runner', ttlMs: 20_000, onLost: pause });
 * if (await keeper.tryAcquire()) work();
 * await keeper.release();
 * ```
 */
export class LeaseKeeper {
  readonly owner: string;
  readonly ttlMs: number;
  readonly #target: LeaseTarget;
  readonly #renewIntervalMs: number;
  readonly #onLost: (() => void) | undefined;
  readonly #onError: ((err: unknown) => void) | undefined;
  #held = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: LeaseKeeperOptions) {
    this.owner = options.owner ?? defaultLeaseOwner();
    this.ttlMs = options.ttlMs ?? 20_000;
    this.#renewIntervalMs = options.renewIntervalMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.#target = { sql: options.sql, schema: options.schema, name: options.name, owner: this.owner };
    this.#onLost = options.onLost;
    this.#onError = options.onError;
  }

  /** True while the last acquire or heartbeat succeeded. */
  get held(): boolean {
    return this.#held;
  }

  /** Try once to take the lease; starts the heartbeat when it succeeds. */
  async tryAcquire(): Promise<boolean> {
    const ok = await acquireLease(this.#target, this.ttlMs);
    if (ok && !this.#held) {
      this.#held = true;
      this.#startHeartbeat();
    }
    return ok;
  }

  /** Stop the heartbeat and delete the lease row if it is still ours. */
  async release(): Promise<void> {
    this.#stopHeartbeat();
    const wasHeld = this.#held;
    this.#held = false;
    if (wasHeld) await releaseLease(this.#target);
  }

  /** Stop the heartbeat without releasing (the lease then expires on its own). */
  abandon(): void {
    this.#stopHeartbeat();
    this.#held = false;
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.#timer = setInterval(() => void this.#beat(), this.#renewIntervalMs);
    this.#timer.unref?.();
  }

  #stopHeartbeat(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #beat(): Promise<void> {
    if (!this.#held) return;
    try {
      if (await renewLease(this.#target, this.ttlMs)) return;
      this.#stopHeartbeat();
      this.#held = false;
      this.#onLost?.();
    } catch (err) {
      this.#onError?.(err);
    }
  }
}
