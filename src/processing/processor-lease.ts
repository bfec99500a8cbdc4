/**
 * A processor's lease and standby: one instance runs a processor at a time.
 * The holder keeps its lease with the runtime's `LeaseKeeper`; a standby tries
 * to take it every `acquireIntervalMs`. Without a lease (disabled, or a state
 * with no `leases`) this instance always holds.
 */
import { compareCheckpoints, type LogCheckpoint } from '../core/checkpoint.js';
import { LeaseKeeper } from '../runtime/lease-keeper.js';
import type { ProcessorContext } from './processor-context.js';

/** The signal handlers get without a lease: nothing can take the work away. */
const UNLEASED: AbortSignal = new AbortController().signal;

/** What {@link ProcessorLease.hold} found: still ours, newly ours (reload the checkpoint), or not ours. */
export type LeaseTurn = 'held' | 'acquired' | 'standby';

/**
 * The lease of one processor instance, from `start()` to `release()`.
 *
 * @example
 * ```ts
 * const lease = new ProcessorLease(ctx);
 * lease.start();
 * if ((await lease.hold()) !== 'standby') await runBatch({ signal: lease.signal });
 * await lease.release();
 * ```
 */
export class ProcessorLease {
  readonly #ctx: ProcessorContext;
  #keeper: LeaseKeeper | undefined;
  #verify = false;
  /** When a standby may next try to take the lease (`performance.now()`). */
  #nextAcquireAt = 0;
  /** The stored checkpoint as this instance last knew it while holding the lease (loaded or committed). */
  #own: LogCheckpoint | undefined;

  constructor(ctx: ProcessorContext) {
    this.#ctx = ctx;
  }

  /** True while this instance holds the lease (always, while running, without leasing). */
  get held(): boolean {
    return this.#keeper ? this.#keeper.held : this.#ctx.running;
  }

  /** True when this instance runs under a lease (a SQL state, `lease` not false). */
  get leasing(): boolean {
    return this.#keeper !== undefined;
  }

  /** The current tenure's signal (never aborted without a lease). */
  get signal(): AbortSignal {
    return this.#keeper ? this.#keeper.signal : UNLEASED;
  }

  /** Throw the `LeaseLostError` that ended the tenure of `signal`, if it ended. */
  assertTenure(signal: AbortSignal): void {
    this.#keeper?.assertTenure(signal);
  }

  /** Prepare the keeper (when leasing); the first {@link hold} tries to take the lease. */
  start(): void {
    const { o, state, name, events } = this.#ctx;
    this.#nextAcquireAt = 0;
    this.#verify = false;
    if (!state.leases || o.lease === false) return;
    this.#keeper = new LeaseKeeper({
      leases: state.leases,
      name: `processor:${name}`,
      ttlMs: o.lease.ttlMs,
      renewIntervalMs: o.lease.renewIntervalMs,
      ...(o.lease.owner !== undefined ? { owner: o.lease.owner } : {}),
      // Aborts the running handler's ctx.signal too; the loop notices and turns standby.
      onLost: (error) =>
        events.emit('processor:lease_lost', { processor: name, owner: error.owner, reason: error.reason }),
      onError: (err) => this.#ctx.fail(err, 'lease renewal failed'),
    });
  }

  /**
   * The stored checkpoint is `checkpoint`, loaded or committed by this
   * instance. Noted only while the lease is held: nobody else can move the
   * checkpoint then, so the note says what this instance left behind.
   */
  noteOwnCheckpoint(checkpoint: LogCheckpoint): void {
    if (this.held) this.#own = checkpoint;
  }

  /**
   * This instance's own commit stored `checkpoint`. Noted even when the lease
   * lapsed while that commit was in flight (it had passed its lease check):
   * its fence proved nobody else had moved the checkpoint, and its
   * post-commit work (the rows it publishes) runs as usual, so taking the
   * lease back with the checkpoint still there resumes this instance's own
   * work — no takeover, no reload of its channels.
   */
  noteCommitted(checkpoint: LogCheckpoint): void {
    if (this.#keeper) this.#own = checkpoint;
  }

  /** Make the next {@link hold} confirm the lease with the store (the checkpoint moved under us). */
  verifyNext(): void {
    this.#verify = true;
  }

  /**
   * Hold the lease for one more turn: confirm or take it when due. A standby
   * tries only every `acquireIntervalMs`; a failure while held ends the tenure
   * inside the keeper, which reports `processor:lease_lost`.
   */
  async hold(): Promise<LeaseTurn> {
    const keeper = this.#keeper;
    if (!keeper) return 'held';
    if (keeper.held && !this.#verify) return 'held';
    if (!keeper.held && performance.now() < this.#nextAcquireAt) return 'standby';
    this.#verify = false;
    const before = keeper.held ? keeper.signal : undefined;
    if (!(await keeper.tryAcquire())) {
      if (this.#ctx.o.lease !== false)
        this.#nextAcquireAt = performance.now() + this.#ctx.o.lease.acquireIntervalMs;
      return 'standby';
    }
    if (keeper.signal === before) return 'held';
    const resumed = await this.#resumesOwnWork();
    this.#ctx.events.emit('processor:lease_acquired', {
      processor: this.#ctx.name,
      owner: keeper.owner,
      resumed,
    });
    return 'acquired';
  }

  /**
   * True when the new tenure takes up exactly where this instance left off:
   * the stored checkpoint is the one it last loaded or committed, so nobody
   * else committed in between (a lease that lapsed under load and came back).
   * Anything else, or a failure to tell, counts as a takeover.
   */
  async #resumesOwnWork(): Promise<boolean> {
    const own = this.#own;
    if (own === undefined) return false;
    try {
      const stored = await this.#ctx.stored();
      return stored !== null && compareCheckpoints(stored, own) === 0;
    } catch {
      return false;
    }
  }

  /** Ms until a standby's next attempt to take the lease is due (at least 1). */
  untilNextAttemptMs(): number {
    return Math.max(1, Math.ceil(this.#nextAcquireAt - performance.now()));
  }

  /** Give the lease up so another instance takes over at once. */
  async release(): Promise<void> {
    await this.#keeper?.release().catch((err: unknown) => this.#ctx.fail(err, 'lease release failed'));
    this.#keeper = undefined;
  }
}
