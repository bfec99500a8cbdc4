/**
 * Leader election over a `LeaseKeeper`: try for the lease every acquire
 * interval; while it is held, lead (start the work with the tenure's signal);
 * when the tenure ends (taken, not renewed in time, stopping), stop the work
 * and wait for it before trying again, so one process never leads twice at
 * once. The scheduler and the engine's singleton workers both lead this way.
 */
import { LeaseKeeper, type LeasePort } from '../runtime/lease-keeper.js';
import { resolveLeaseTiming, type LeaseTimingOptions } from '../runtime/lease-timing.js';
import { PollLoop } from '../runtime/poll-loop.js';
import type { LeaseLostReason } from '../runtime/errors.js';

/** Options of {@link Leadership}. */
export interface LeadershipOptions {
  leases: LeasePort;
  /** Lease name, e.g. `'scheduler:default'`. */
  name: string;
  owner?: string | undefined;
  /** Lease timing; default a 6 s lease renewed every 2 s, a standby trying every 1.5 s. */
  lease?: LeaseTimingOptions | undefined;
  /** Start leading. `signal` aborts when the tenure ends. */
  begin(signal: AbortSignal): Promise<void>;
  /** Stop leading; called once per tenure, after `signal` aborted or on stop. */
  end(): Promise<void>;
  onAcquired?: () => void;
  onLost?: (reason: LeaseLostReason) => void;
  /** A failure of the lease database, `begin` or `end`; the loop goes on. */
  onError: (err: unknown, what: string) => void;
}

/**
 * One process's bid to lead: at most one holder of `name` at a time across processes.
 *
 * @example
 * ```ts
 * const leadership = new Leadership({ leases, name: 'jobs', begin: async (signal) => startJobs(signal), end: stopJobs, onError: log });
 * await leadership.start(); // after the first attempt: leading if the lease was free
 * await leadership.stop();  // stops the jobs and releases the lease
 * ```
 */
export class Leadership {
  readonly owner: string;
  readonly #o: LeadershipOptions;
  readonly #keeper: LeaseKeeper;
  readonly #acquireIntervalMs: number;
  #stopping = false;
  /** Stopped for good: a second stop (say, the engine's close after a test abandoned the lease) does nothing. */
  #stopped = false;
  #leading = false;
  /** The bidding loop: one turn = one bid, and the tenure when it wins. */
  #loop: PollLoop | undefined;
  #wakeStop: (() => void) | undefined;

  constructor(options: LeadershipOptions) {
    const timing = resolveLeaseTiming(options.lease);
    this.#o = options;
    this.#acquireIntervalMs = timing.acquireIntervalMs;
    this.#keeper = new LeaseKeeper({
      leases: options.leases,
      name: options.name,
      ...(options.owner === undefined ? {} : { owner: options.owner }),
      ttlMs: timing.ttlMs,
      renewIntervalMs: timing.renewIntervalMs,
      onError: (err) => options.onError(err, 'renewing the lease'),
    });
    this.owner = this.#keeper.owner;
  }

  /** True while this process holds the lease and leads. */
  get leading(): boolean {
    return this.#leading && this.#keeper.held;
  }

  /** Start bidding; resolves after the first attempt (with the work begun when it won). */
  start(): Promise<void> {
    if (this.#loop) return Promise.resolve();
    this.#stopping = false;
    return new Promise((resolve) => {
      const loop = new PollLoop({
        turn: async () => {
          await this.#bid(resolve);
          return { ms: this.#acquireIntervalMs, wakeable: false };
        },
        onError: (err) => this.#o.onError(err, 'bidding for the lease'),
      });
      this.#loop = loop;
      loop.start();
    });
  }

  /**
   * Stop leading and bidding. With `release: false` the lease is left to
   * expire, as if the process had died (failover tests).
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping = true;
    this.#wakeStop?.();
    await this.#loop?.stop();
    this.#loop = undefined;
    if (options.release === false) this.#keeper.abandon();
    else await this.#keeper.release().catch((err: unknown) => this.#o.onError(err, 'releasing the lease'));
  }

  /** One bid: try for the lease, and lead until the tenure ends when it was won. */
  async #bid(firstAttempt: () => void): Promise<void> {
    let won = false;
    try {
      won = await this.#keeper.tryAcquire();
    } catch (err) {
      this.#o.onError(err, 'taking the lease');
    }
    if (won && !this.#stopping) await this.#lead(firstAttempt);
    firstAttempt();
  }

  async #lead(begun: () => void): Promise<void> {
    const signal = this.#keeper.signal;
    this.#leading = true;
    this.#o.onAcquired?.();
    try {
      await this.#o.begin(signal);
    } catch (err) {
      this.#o.onError(err, 'starting the work');
    }
    begun();
    await new Promise<void>((resolve) => {
      if (signal.aborted || this.#stopping) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      this.#wakeStop = resolve;
    });
    this.#wakeStop = undefined;
    this.#leading = false;
    if (!this.#stopping) {
      const reason = (signal.reason as { reason?: LeaseLostReason } | undefined)?.reason ?? 'taken';
      this.#o.onLost?.(reason);
    }
    try {
      await this.#o.end();
    } catch (err) {
      this.#o.onError(err, 'stopping the work');
    }
  }
}
