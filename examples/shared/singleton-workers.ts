/**
 * Jobs that must run on exactly one host at a time (the inventory poller,
 * the health monitor), held by a lease in the database through the
 * library's `LeaseKeeper` with its defaults (`src/processing/lease-options.ts`):
 * every host tries to take it every 1.5 s; the holder renews it every 2 s for
 * 6 s. A host that dies stops renewing, and another takes over once the lease
 * expires — within 7.5 s of the crash. A holder whose renewals do not get
 * through for 4 s (ttl − heartbeat, on the monotonic clock) stops its jobs
 * itself, before anyone else may take the lease.
 *
 * The jobs move together under one lease because the health monitor grades
 * the poller's freshness from the poller's own signal.
 *
 * Interim: the engine is gaining leased singleton workers
 * (`src/engine.ts`); when they land, pass the jobs to the engine instead.
 */
import type { EngineContext, EngineWorker } from '@creatorflow/sync';
import type { LeaseLostError } from '@creatorflow/sync';
// Internal until the engine runs leased singleton workers itself: the one deep import of the examples.
import { LeaseKeeper } from '../../src/processing/lease-keeper.js';
import { resolveLeaseTiming } from '../../src/processing/lease-options.js';
import { describeError, type HostLog } from './host-log.js';

/** Options of {@link singletonWorkers}. */
export interface SingletonWorkersOptions {
  /** Lease name, e.g. `'host:singletons'`. */
  name: string;
  /** This host's id (the lease owner); unique per running process. */
  owner: string;
  workers: readonly EngineWorker[];
  log: HostLog;
  /** Lease duration without renewal. Default 6,000 ms (the library's lease default); renewed every ttl / 3. */
  ttlMs?: number;
  /** How often a standby host tries to take the lease. Default ttl / 4 (1,500 ms). */
  acquireIntervalMs?: number;
}

/** An {@link EngineWorker} that runs its jobs only while it holds the lease. */
export interface SingletonWorkers extends EngineWorker {
  /** True while this host holds the lease and runs the jobs. */
  readonly leader: boolean;
}

/**
 * Run `workers` on one host of many.
 *
 * @example
 * ```ts
 * const singletons = singletonWorkers({ name: 'host:singletons', owner: hostId, workers: [poller, monitor], log });
 * await singletons.start({ store, sql, schema });
 * singletons.leader; // true on one host
 * ```
 */
export function singletonWorkers(options: SingletonWorkersOptions): SingletonWorkers {
  const timing = resolveLeaseTiming({ ttlMs: options.ttlMs, acquireIntervalMs: options.acquireIntervalMs });
  const { log } = options;
  let keeper: LeaseKeeper | null = null;
  let context: EngineContext | null = null;
  let leader = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopping = false;
  // Starting and stopping the jobs never overlap: each waits for the one before.
  let transitions: Promise<void> = Promise.resolve();
  const queue = (step: () => Promise<void>): Promise<void> => {
    const next = transitions.then(step);
    transitions = next.catch(() => undefined);
    return next;
  };

  async function startJobs(): Promise<void> {
    if (leader || !keeper?.held) return;
    leader = true;
    log.info(
      `singletons: lease ${options.name} taken; starting ${options.workers.map((w) => w.name).join(', ')}`,
    );
    for (const w of options.workers) await w.start(context!);
  }

  async function stopJobs(reason: string, level: 'info' | 'warn' = 'warn'): Promise<void> {
    if (!leader) return;
    leader = false;
    log[level](`singletons: ${reason}; stopping jobs`);
    for (const w of [...options.workers].reverse()) {
      await Promise.resolve(w.stop()).catch((err: unknown) =>
        log.error(`singletons: ${w.name} did not stop cleanly: ${describeError(err)}`),
      );
    }
  }

  const onLost = (err: LeaseLostError) => {
    const reason =
      err.reason === 'not_renewed'
        ? `lease not renewed for ${timing.selfFenceAfterMs} ms`
        : 'lease lost to another host';
    queue(() => stopJobs(reason)).catch((e: unknown) =>
      log.error(`singletons: stopping the jobs failed: ${describeError(e)}`),
    );
  };

  /** A standby's attempt at the lease; the keeper renews it on its own while held. */
  async function tick(): Promise<void> {
    if (!keeper || keeper.held) return;
    let taken: boolean;
    try {
      taken = await keeper.tryAcquire();
    } catch {
      return; // the database is unreachable: try again at the next tick
    }
    if (taken) {
      await queue(startJobs).catch((err: unknown) =>
        log.error(`singletons: starting the jobs failed: ${describeError(err)}`),
      );
    }
  }

  const schedule = () => {
    if (stopping) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = null;
        schedule();
      });
    }, timing.acquireIntervalMs);
  };

  return {
    name: `singletons:${options.name}`,
    get leader() {
      return leader;
    },
    async start(ctx) {
      stopping = false;
      context = ctx;
      keeper = new LeaseKeeper({
        sql: ctx.sql,
        schema: ctx.schema,
        name: options.name,
        owner: options.owner,
        ttlMs: timing.ttlMs,
        renewIntervalMs: timing.renewIntervalMs,
        onLost,
        onError: (err) =>
          log.warn(`singletons: renewing lease ${options.name} failed: ${describeError(err)}`),
      });
      // The first attempt is awaited, so a lone host has its jobs running when start resolves.
      await tick();
      schedule();
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      await queue(() => stopJobs('host stopping', 'info'));
      // Released at once, so another host takes over without waiting out the ttl.
      await keeper?.release().catch(() => undefined);
    },
  };
}
