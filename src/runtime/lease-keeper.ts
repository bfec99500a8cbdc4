/**
 * Keeps a lease alive with a heartbeat and fences its holder: when no renewal
 * has succeeded for ttl − heartbeat, the tenure ends on its own, before the
 * database lets another instance take the lease. Time is measured on the
 * monotonic clock (`performance.now()`), so a wall-clock jump neither fences
 * a healthy holder nor keeps a stale one alive.
 */
import { LeaseLostError, type LeaseLostReason } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { defaultLeaseOwner } from './lease-owner.js';
import { resolveLeaseTiming } from './lease-timing.js';

/**
 * Where leases are kept: one row per name, owned until it expires. The store's
 * clock decides expiry, so host clocks may disagree. Processing's SQL leases
 * (`sqlLeases(sql, schema)`) implement it.
 *
 * @example
 * ```ts
 * const leases: LeasePort = { acquire: async () => true, renew: async () => true, release: async () => {} };
 * ```
 */
export interface LeasePort {
  /** Take the lease if it is free, expired or already `owner`'s; true when `owner` holds it for `ttlMs` from now. */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extend a lease `owner` holds; false when it was lost (expired and taken, or released). */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Give the lease up if `owner` holds it. */
  release(name: string, owner: string): Promise<void>;
}

/**
 * Options of {@link LeaseKeeper}.
 *
 * @example
 * ```ts
 * const keeper = new LeaseKeeper({
 *   leases: sqlLeases(sql, 'app'), name: 'nightly-report', ttlMs: 10_000, // renewed every ~3.3 s
 *   onLost: (err) => job.abort(err), onError: (err) => log.warn({ err }, 'lease renewal failed'),
 * });
 * ```
 */
export interface LeaseKeeperOptions {
  /** Where the lease lives, e.g. `sqlLeases(sql, schema)`. */
  leases: LeasePort;
  name: string;
  /** Default {@link defaultLeaseOwner}(). */
  owner?: string;
  /** How long a lease lasts without a renewal (default 6 000 ms, `DEFAULT_LEASE_TTL_MS`). */
  ttlMs?: number | undefined;
  /** Heartbeat interval (default ttl / 3); must be shorter than the ttl. */
  renewIntervalMs?: number | undefined;
  /**
   * Called once per tenure when the lease is lost: a renewal found it taken
   * (`reason: 'taken'`), or none succeeded in time (`'not_renewed'`). Not called on release.
   */
  onLost?: (error: LeaseLostError) => void;
  /** Called when a renewal fails (database error); it is retried until the holder fences itself. */
  onError?: (err: unknown) => void;
}

/**
 * Acquire a lease, renew it on a timer, stop on its own when renewals do not
 * get through, release it on stop.
 *
 * @example
 * ```ts
 * const keeper = new LeaseKeeper({ leases: sqlLeases(sql, schema), name: 'nightly-report', onLost: (err) => job.abort(err) });
 * if (await keeper.tryAcquire()) await runJob({ signal: keeper.signal });
 * await keeper.release();
 * ```
 */
export class LeaseKeeper {
  readonly owner: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  /** A holder that has not renewed successfully for this long (ttl − heartbeat) stops itself. */
  readonly selfFenceAfterMs: number;
  readonly name: string;
  readonly #leases: LeasePort;
  readonly #heartbeat: Heartbeat;
  readonly #onLost: ((error: LeaseLostError) => void) | undefined;
  readonly #onError: ((err: unknown) => void) | undefined;
  /** The current tenure while held; afterwards the last one, aborted with its LeaseLostError. */
  #tenure: AbortController;
  #held = false;
  /** Whether the row may be ours (so release() deletes it), even after the holder fenced itself. */
  #mayOwnRow = false;
  /** `performance.now()` at which the holder fences itself unless a renewal succeeds first. */
  #validUntil = 0;
  #fenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** The fence check a fired timer deferred until the I/O already waiting has run. */
  #fenceImmediate: ReturnType<typeof setImmediate> | undefined;

  constructor(options: LeaseKeeperOptions) {
    const timing = resolveLeaseTiming({ ttlMs: options.ttlMs, renewIntervalMs: options.renewIntervalMs });
    this.owner = options.owner ?? defaultLeaseOwner();
    this.ttlMs = timing.ttlMs;
    this.renewIntervalMs = timing.renewIntervalMs;
    this.selfFenceAfterMs = timing.selfFenceAfterMs;
    this.name = options.name;
    this.#leases = options.leases;
    this.#onLost = options.onLost;
    this.#onError = options.onError;
    this.#heartbeat = new Heartbeat({
      intervalMs: this.renewIntervalMs,
      beat: (sentAt) => this.#beat(sentAt),
      onError: (err) => this.#onError?.(err),
    });
    this.#tenure = new AbortController();
    this.#tenure.abort(new LeaseLostError(options.name, this.owner, 'released'));
  }

  /** True while the lease is held: acquired, and renewed within the self-fencing window. */
  get held(): boolean {
    return this.#live();
  }

  /**
   * The current tenure's signal: aborted with a {@link LeaseLostError} when it
   * ends (taken, not renewed in time, released). Already aborted while not held.
   */
  get signal(): AbortSignal {
    this.#live();
    return this.#tenure.signal;
  }

  /**
   * Throw the {@link LeaseLostError} that ended the tenure `signal` belongs to;
   * return while that tenure lasts. Checks the deadline now, so work that
   * finished after it never counts as done under the lease, however late the timer is.
   *
   * @example
   * ```ts
   * const signal = keeper.signal;
   * await work({ signal });
   * keeper.assertTenure(signal); // before committing the work
   * ```
   */
  assertTenure(signal: AbortSignal): void {
    this.#live();
    if (signal.aborted) throw signal.reason;
  }

  /**
   * Try once to take the lease (or confirm it, when held); starts the
   * heartbeat when it succeeds. When it fails while held, the tenure ends (`'taken'`).
   */
  async tryAcquire(): Promise<boolean> {
    // Measured before sending: the database's expiry is at least this late.
    const sentAt = performance.now();
    const tenure = this.#tenure;
    const ok = await this.#leases.acquire(this.name, this.owner, this.ttlMs);
    const sameTenure = tenure === this.#tenure && this.#live();
    if (!ok) {
      if (sameTenure) this.#end('taken', true);
      return false;
    }
    this.#mayOwnRow = true;
    if (sameTenure) this.#renewed(sentAt);
    else this.#begin(sentAt);
    return true;
  }

  /** Stop the heartbeat and delete the lease row if it is still ours. */
  async release(): Promise<void> {
    this.#end('released', false);
    if (!this.#mayOwnRow) return;
    this.#mayOwnRow = false;
    await this.#leases.release(this.name, this.owner);
  }

  /** Stop the heartbeat without releasing (the lease then expires on its own). */
  abandon(): void {
    this.#end('released', false);
  }

  #begin(sentAt: number): void {
    this.#held = true;
    this.#tenure = new AbortController();
    this.#validUntil = sentAt + this.selfFenceAfterMs;
    this.#armFence();
    this.#heartbeat.start(sentAt + this.renewIntervalMs - performance.now());
  }

  #renewed(sentAt: number): void {
    this.#validUntil = Math.max(this.#validUntil, sentAt + this.selfFenceAfterMs);
    this.#armFence();
  }

  /** Held now? Fences the holder the moment its deadline has passed, even if the timer has not fired yet. */
  #live(): boolean {
    if (!this.#held) return false;
    if (performance.now() < this.#validUntil) return true;
    this.#end('not_renewed', true);
    return false;
  }

  #end(reason: LeaseLostReason, notify: boolean): void {
    this.#heartbeat.stop();
    this.#disarmFence();
    if (!this.#held) return;
    this.#held = false;
    const error = new LeaseLostError(this.name, this.owner, reason);
    this.#tenure.abort(error);
    if (notify) this.#onLost?.(error);
  }

  #armFence(): void {
    this.#disarmFence();
    this.#fenceTimer = setTimeout(
      () => {
        this.#fenceTimer = undefined;
        // A timer may fire a little early by the monotonic clock: check again then.
        if (performance.now() < this.#validUntil) return this.#armFence();
        // After an event-loop stall Node runs overdue timers before the I/O that
        // arrived meanwhile: a renewal answered in time is read first, then this decides.
        // Not unref'd: an unref'd immediate waits until some other I/O or timer wakes the loop.
        this.#fenceImmediate = setImmediate(() => {
          this.#fenceImmediate = undefined;
          if (this.#live()) this.#armFence();
        });
      },
      Math.max(0, this.#validUntil - performance.now()),
    );
    this.#fenceTimer.unref?.();
  }

  #disarmFence(): void {
    clearTimeout(this.#fenceTimer);
    this.#fenceTimer = undefined;
    if (this.#fenceImmediate) clearImmediate(this.#fenceImmediate);
    this.#fenceImmediate = undefined;
  }

  /** One renewal; false ends the heartbeat (the tenure is over). */
  async #beat(sentAt: number): Promise<boolean> {
    const tenure = this.#tenure;
    if (!this.#live()) return false;
    let ok: boolean;
    try {
      ok = await this.#leases.renew(this.name, this.owner, this.ttlMs);
    } catch (err) {
      // A failure of a tenure that is over is nobody's concern; otherwise the heartbeat reports it and beats sooner.
      if (tenure !== this.#tenure || !this.#live()) return false;
      throw err;
    }
    // A renewal that raced a release, or came after the holder fenced itself, belongs to a tenure that is over.
    if (tenure !== this.#tenure || !this.#held) return false;
    if (!ok) {
      this.#end('taken', true);
      return false;
    }
    // The store renewed the lease no earlier than `sentAt`, and only an acquire
    // changes its owner: nobody held it meanwhile, even when this answer is read
    // after the old deadline (an event-loop stall). The tenure lasts from `sentAt`.
    this.#renewed(sentAt);
    return this.#live();
  }
}
