/**
 * Jobs that must run on exactly one host at a time (a poller, a monitor),
 * started while this host holds a lease and stopped when it loses it. With
 * the default lease (6 s, renewed every 2 s, a standby trying every 1.5 s) a
 * dead host's jobs move within 7.5 s; a holder whose renewals do not get
 * through for 4 s stops its jobs itself, before anyone else may take them.
 */
import { EventEmitter } from 'eventemitter3';
import { resolveLogger, type Logger } from '../core/logger.js';
import type { LeaseLostReason } from '../runtime/errors.js';
import type { LeasePort } from '../runtime/lease-keeper.js';
import type { LeaseTimingOptions } from '../runtime/lease-timing.js';
import { Leadership } from './leadership.js';

/** A job started and stopped with the lease (the engine's `EngineWorker` fits). */
export interface SingletonJob<C> {
  readonly name: string;
  start(context: C): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * Options of {@link SingletonWorkers}.
 *
 * @example
 * ```ts
 * const options: SingletonWorkersOptions<{ store: EventStore }> = {
 *   leases: sqlLeases(sql, 'app'),
 *   name: 'singletons:default',
 *   jobs: [poller, monitor],
 *   context: { store },
 * };
 * ```
 */
export interface SingletonWorkersOptions<C> {
  leases: LeasePort;
  /** Lease name; the jobs of every host bidding for it run on one of them. */
  name: string;
  jobs: readonly SingletonJob<C>[];
  /** What each job's `start` receives. */
  context: C;
  /** This host's id in the lease. Default host, pid and a random suffix. */
  owner?: string | undefined;
  lease?: LeaseTimingOptions | undefined;
  logger?: Logger | undefined;
}

/** Events of {@link SingletonWorkers}. */
export interface SingletonWorkersEventMap {
  /** This host took the lease and started the jobs. */
  'singletons:started': [info: { owner: string; jobs: string[] }];
  /** This host lost the lease; the jobs were stopped. */
  'singletons:lease_lost': [info: { owner: string; reason: LeaseLostReason }];
  error: [error: unknown];
}

/**
 * Run jobs on one host of many, by lease.
 *
 * @example
 * ```ts
 * const singletons = new SingletonWorkers({ leases: sqlLeases(sql, 'app'), name: 'singletons:default', jobs: [poller], context });
 * await singletons.start(); // the jobs run here when this host won the lease
 * singletons.leading;
 * await singletons.stop();
 * ```
 */
export class SingletonWorkers<C> extends EventEmitter<SingletonWorkersEventMap> {
  readonly #jobs: readonly SingletonJob<C>[];
  readonly #context: C;
  readonly #leadership: Leadership;
  readonly #logger: Logger;
  /** Jobs started in this tenure, stopped in reverse order. */
  #started: SingletonJob<C>[] = [];

  constructor(options: SingletonWorkersOptions<C>) {
    super();
    this.#jobs = options.jobs;
    this.#context = options.context;
    this.#logger = resolveLogger(options.logger, 'singleton workers');
    this.#leadership = new Leadership({
      leases: options.leases,
      name: options.name,
      owner: options.owner,
      lease: options.lease,
      begin: async () => {
        for (const job of this.#jobs) {
          await job.start(this.#context);
          this.#started.push(job);
        }
        this.#logger.info(
          { component: 'singletons', jobs: this.#jobs.map((j) => j.name) },
          'singleton jobs started',
        );
        this.emit('singletons:started', { owner: this.owner, jobs: this.#jobs.map((j) => j.name) });
      },
      end: async () => {
        for (const job of this.#started.splice(0).reverse()) {
          try {
            await job.stop();
          } catch (err) {
            this.#fail(err, `singleton job ${job.name} did not stop cleanly`);
          }
        }
      },
      onLost: (reason) => {
        this.#logger.warn({ component: 'singletons', reason }, 'singleton lease lost; stopping the jobs');
        this.emit('singletons:lease_lost', { owner: this.owner, reason });
      },
      onError: (err, what) => this.#fail(err, `singletons: ${what} failed`),
    });
  }

  get owner(): string {
    return this.#leadership.owner;
  }

  /** True while this host holds the lease and runs the jobs. */
  get leading(): boolean {
    return this.#leadership.leading;
  }

  /** Bid for the lease; resolves after the first bid, with the jobs running when it won. */
  start(): Promise<void> {
    return this.#leadership.start();
  }

  /** Stop the jobs and release the lease (`release: false`: let it expire, as a dead host would). */
  stop(options: { release?: boolean } = {}): Promise<void> {
    return this.#leadership.stop(options);
  }

  #fail(err: unknown, msg: string): void {
    this.#logger.error({ component: 'singletons', err }, msg);
    try {
      this.emit('error', err);
    } catch (thrown) {
      this.#logger.error({ component: 'singletons', err: thrown }, "an 'error' listener threw");
    }
  }
}
