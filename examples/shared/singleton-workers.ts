/**
 * Jobs that must run on exactly one host at a time (the inventory poller,
 * the health monitor), held by a lease in the database: every host tries to
 * take it; the holder starts the jobs and renews the lease; a host that
 * dies stops renewing, and another takes over once the lease expires
 * (`ttlMs`, 6 s by default, so within 10 s). A holder that cannot renew for
 * most of a ttl (its database is unreachable) stops its jobs itself, before
 * anyone else may take the lease.
 *
 * The jobs move together under one lease because the health monitor grades
 * the poller's freshness from the poller's own signal.
 *
 * Interim: the engine is gaining leased singleton workers
 * (`src/engine.ts`); when they land, pass the jobs to the engine instead.
 */
import type { EngineContext, EngineWorker } from '../../src/engine.js';
import { acquireLease, releaseLease, renewLease, type LeaseTarget } from '../../src/processing/index.js';
import { describeError, type HostLog } from './host-log.js';

/** Options of {@link singletonWorkers}. */
export interface SingletonWorkersOptions {
  /** Lease name, e.g. `'host:singletons'`. */
  name: string;
  /** This host's id (the lease owner); unique per running process. */
  owner: string;
  workers: readonly EngineWorker[];
  log: HostLog;
  /** Lease duration without renewal. Default 6,000 ms. */
  ttlMs?: number;
  /** How often a standby host tries to take the lease. Default 1,000 ms. */
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
  const ttlMs = options.ttlMs ?? 6000;
  const renewMs = Math.max(100, Math.floor(ttlMs / 3));
  const acquireMs = options.acquireIntervalMs ?? 1000;
  const { log } = options;
  let target: LeaseTarget | null = null;
  let context: EngineContext | null = null;
  let leader = false;
  let lastRenewed = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopping = false;

  async function startJobs(): Promise<void> {
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

  async function tick(): Promise<void> {
    if (!target) return;
    const now = Date.now();
    try {
      if (!leader) {
        if (await acquireLease(target, ttlMs)) {
          lastRenewed = now;
          await startJobs();
        }
      } else if (await renewLease(target, ttlMs)) {
        lastRenewed = now;
      } else {
        await stopJobs('lease lost to another host');
      }
    } catch (err) {
      // The database is unreachable: keep the jobs only while the lease surely is still ours.
      if (leader && Date.now() - lastRenewed > ttlMs * 0.8) {
        await stopJobs(`lease not renewable (${describeError(err)})`);
      }
    }
  }

  const schedule = () => {
    if (stopping) return;
    timer = setTimeout(
      () => {
        running = tick().finally(() => {
          running = null;
          schedule();
        });
      },
      leader ? renewMs : acquireMs,
    );
  };

  return {
    name: `singletons:${options.name}`,
    get leader() {
      return leader;
    },
    async start(ctx) {
      stopping = false;
      context = ctx;
      target = { sql: ctx.sql, schema: ctx.schema, name: options.name, owner: options.owner };
      // The first attempt is awaited, so a lone host has its jobs running when start resolves.
      await tick();
      schedule();
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      const held = leader;
      await stopJobs('host stopping', 'info');
      // Released at once, so another host takes over without waiting out the ttl.
      if (held && target) await releaseLease(target).catch(() => undefined);
    },
  };
}
