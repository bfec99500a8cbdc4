/**
 * Work per unit, independent of load and of what else the machine runs:
 * database transactions (`pg_stat_database` of one database, so the
 * benchmark's database must be its own, not shared with anyone else's
 * tests) and CPU time of named processes (/proc/<pid>/stat) and of the
 * PostgreSQL backends serving that database. On a shared machine latency
 * swings with the CPU share a run happens to get; these counts do not.
 *
 * The backends come and go (a pool closes idle connections), so they are
 * sampled every `sampleMs`: a backend's CPU counts from its first sample
 * (from zero when it was born after the meter started) to its last.
 * Requires PostgreSQL on this machine (as does `cpu-meter.ts`).
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { openPool } from './pg-bench.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** utime + stime of a process in ticks, or undefined when it is gone. */
function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Kernel-mode CPU (stime, ticks) and write system calls (syscw of /proc/<pid>/io) of a process. */
function processKernel(pid: number): { sysTicks: number; writes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { sysTicks: Number(fields[12]), writes: Number(/syscw:\s*(\d+)/.exec(io)?.[1] ?? Number.NaN) };
  } catch {
    return undefined;
  }
}

/** Counters at one moment. */
export interface CostSample {
  atMs: number;
  /** xact_commit + xact_rollback of the database. */
  xacts: number;
  /** Rows written: tup_inserted + tup_updated + tup_deleted of the database. */
  rows: number;
  /** CPU ms of each named process. */
  cpuMs: Record<string, number>;
  /** Of that, ms in the kernel (system calls: sockets, mostly). */
  sysMs: Record<string, number>;
  /** Write system calls (write, writev, sendto …) of each named process. */
  writes: Record<string, number>;
  /** CPU ms of every backend seen on the database since the meter started. */
  postgresCpuMs: number;
  /** Of that, ms in the kernel. */
  postgresSysMs: number;
  /** Write system calls of those backends. */
  postgresWrites: number;
}

/** Options of {@link startCostMeter}. */
export interface CostMeterOptions {
  /** The database whose transactions and backends are counted (the benchmark's own). */
  database: string;
  /** Processes to measure, by name. */
  processes: Readonly<Record<string, number>>;
  /** How often backends are sampled. Default 250 ms. */
  sampleMs?: number;
}

/** A running meter. */
export interface CostMeter {
  /** The counters now (waits for PostgreSQL's statistics of the last second to be flushed first). */
  sample(): Promise<CostSample>;
  /**
   * Wait until the database's transaction rate, over windows of `windowMs`,
   * is at most `perS` (the work an order caused, such as a handler catching
   * up, is over); false when it still is not after `timeoutMs`.
   */
  quiet(perS: number, options?: { windowMs?: number; timeoutMs?: number }): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Start counting transactions and CPU.
 *
 * @example
 * ```ts
 * const meter = await startCostMeter({ database: 'bench_cost_3fa9c1', processes: { host_a: a.child.pid! } });
 * const before = await meter.sample();
 * await load();
 * const after = await meter.sample();
 * ```
 */
export async function startCostMeter(options: CostMeterOptions): Promise<CostMeter> {
  // On the default database: the meter's own queries must not count in the measured one.
  const pool: pg.Pool = openPool({ max: 1 });
  type Counts = { ticks: number; sysTicks: number; writes: number };
  const backends = new Map<number, { first: Counts; last: Counts }>();
  const zero: Counts = { ticks: 0, sysTicks: 0, writes: 0 };
  let started = false;
  const sampleBackends = async () => {
    const { rows } = await pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1',
      [options.database],
    );
    for (const { pid } of rows) {
      const ticks = processTicks(pid);
      const kernel = processKernel(pid);
      if (ticks === undefined || kernel === undefined) continue;
      const now: Counts = { ticks, ...kernel };
      const seen = backends.get(pid);
      if (seen) seen.last = now;
      else backends.set(pid, { first: started ? zero : now, last: now });
    }
    started = true;
  };
  await sampleBackends();
  let sampling: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sampleBackends).catch(() => undefined);
  }, options.sampleMs ?? 250);

  const counters = async () => {
    const { rows } = await pool.query<{ xacts: string; rows: string }>(
      'SELECT xact_commit + xact_rollback AS xacts, tup_inserted + tup_updated + tup_deleted AS rows ' +
        'FROM pg_stat_database WHERE datname = $1',
      [options.database],
    );
    return { xacts: Number(rows[0]?.xacts ?? Number.NaN), rows: Number(rows[0]?.rows ?? Number.NaN) };
  };
  const xacts = async () => (await counters()).xacts;

  return {
    async quiet(perS, { windowMs = 2000, timeoutMs = 60_000 } = {}) {
      const deadline = performance.now() + timeoutMs;
      let before = await xacts();
      while (performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, windowMs));
        const now = await xacts();
        if (((now - before) * 1000) / windowMs <= perS) return true;
        before = now;
      }
      return false;
    },
    async sample() {
      // Backends flush their statistics at most once a second, when idle.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      sampling = sampling.then(sampleBackends).catch(() => undefined);
      await sampling;
      const total = await counters();
      const cpuMs: Record<string, number> = {};
      const sysMs: Record<string, number> = {};
      const writes: Record<string, number> = {};
      for (const [name, pid] of Object.entries(options.processes)) {
        cpuMs[name] = ((processTicks(pid) ?? Number.NaN) * 1000) / TICKS_PER_S;
        const kernel = processKernel(pid);
        sysMs[name] = ((kernel?.sysTicks ?? Number.NaN) * 1000) / TICKS_PER_S;
        writes[name] = kernel?.writes ?? Number.NaN;
      }
      let ticks = 0;
      let sysTicks = 0;
      let pgWrites = 0;
      for (const b of backends.values()) {
        ticks += b.last.ticks - b.first.ticks;
        sysTicks += b.last.sysTicks - b.first.sysTicks;
        pgWrites += b.last.writes - b.first.writes;
      }
      return {
        atMs: performance.now(),
        xacts: total.xacts,
        rows: total.rows,
        cpuMs,
        sysMs,
        writes,
        postgresCpuMs: (ticks * 1000) / TICKS_PER_S,
        postgresSysMs: (sysTicks * 1000) / TICKS_PER_S,
        postgresWrites: pgWrites,
      };
    },
    async stop() {
      clearInterval(timer);
      await sampling;
      await pool.end();
    },
  };
}

/** What happened between two samples, per unit of work and per second of idle. */
export interface CostDelta {
  seconds: number;
  xacts: number;
  rows: number;
  cpuMs: Record<string, number>;
  /** Kernel-mode part of `cpuMs`. */
  sysMs: Record<string, number>;
  /** Write system calls. */
  writes: Record<string, number>;
}

/**
 * The counters' growth from `a` to `b`.
 *
 * @example
 * ```ts
 * const idle = costBetween(s0, s1); // idle.xacts / idle.seconds: transactions per idle second
 * ```
 */
export function costBetween(a: CostSample, b: CostSample): CostDelta {
  const grown = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(Object.keys(y).map((name) => [name, y[name]! - (x[name] ?? 0)]));
  const cpuMs = grown(a.cpuMs, b.cpuMs);
  cpuMs.postgres = b.postgresCpuMs - a.postgresCpuMs;
  const sysMs = grown(a.sysMs, b.sysMs);
  sysMs.postgres = b.postgresSysMs - a.postgresSysMs;
  const writes = grown(a.writes, b.writes);
  writes.postgres = b.postgresWrites - a.postgresWrites;
  return {
    seconds: (b.atMs - a.atMs) / 1000,
    xacts: b.xacts - a.xacts,
    rows: b.rows - a.rows,
    cpuMs,
    sysMs,
    writes,
  };
}
