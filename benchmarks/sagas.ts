/**
 * Saga benchmarks on real PostgreSQL (`npm run bench -- sagas`):
 * - saga.throughput: 5-step sagas with in-process step stubs, completed per second
 *   (target ≥ 1,000), and start-to-completed latency; also on embedded PGlite for reference.
 * - saga.recovery: seconds from SIGKILLing a worker process to all its unfinished
 *   sagas resuming on another worker (target ≤ 10 with the default 6 s lease), and
 *   doubled_steps (steps recorded twice, or run after they were recorded) = 0.
 *   `npm run bench -- failover` measures the same under load, with a processor too.
 * No baseline: Emmett has no durable saga runner to compare with.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { fromPg } from '../src/adapters/pg.js';
import { fromPglite } from '../src/adapters/pglite.js';
import type { SqlClient } from '../src/core/sql-client.js';
import { DEFAULT_LEASE_TTL_MS } from '../src/processing/index.js';
import { createSagaRunner, defineSaga } from '../src/sagas/index.js';
import { sideEffectSaga, sideEffectsDdl } from '../test/sagas/fixtures/side-effect-saga.js';
import { spawnWorker } from '../test/sagas/fixtures/spawn-worker.js';
import { emit, latencySummary, medianOf, nowMs } from './support/stats.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const stubSaga = defineSaga({
  name: 'bench_order_fulfillment',
  steps: [
    {
      name: 'validate_order',
      action: async () => ({ ok: true }),
      compensation: { name: 'mark_order_failed', run: async () => undefined },
    },
    {
      name: 'allocate_inventory',
      action: async () => ({ reserved: 1 }),
      compensation: { name: 'release_inventory', run: async () => undefined },
    },
    {
      name: 'process_payment',
      action: async () => ({ paymentId: 'p' }),
      compensation: { name: 'refund_payment', run: async () => undefined },
    },
    {
      name: 'generate_shipping_label',
      action: async () => ({ label: 'l' }),
      compensation: { name: 'cancel_shipping', run: async () => undefined },
    },
    { name: 'update_tiktok_status', action: async () => ({ updated: true }), compensation: 'none' },
  ],
});

/** CPU ms (user + system) used so far by the given PostgreSQL backends, read from /proc (same host). */
function backendCpuMs(pids: readonly number[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / tick;
    } catch {
      // Backend gone or /proc unavailable.
    }
  }
  return total;
}

async function backendPids(sql: SqlClient): Promise<number[]> {
  const { rows } = await sql.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = 'saga-bench'`,
  );
  return rows.map((r) => r.pid);
}

type ThroughputResult = {
  sagas_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  node_cpu_ms_per_saga: number;
  db_cpu_ms_per_saga: number;
  load_avg_1m: number;
};

async function throughputRun(
  sql: SqlClient,
  schema: string,
  sagas: number,
  concurrency: number,
): Promise<ThroughputResult> {
  const runner = createSagaRunner({ sql, schema, concurrency, batchSize: 1000, definitions: [stubSaga] });
  await runner.migrate();
  runner.on('error', (err) => console.error('saga runner error:', err.message));
  runner.startWorker();
  const startedAt = new Map<string, number>();
  const latencies: number[] = [];
  const allDone = new Promise<void>((resolve) => {
    runner.on('saga:completed', ({ sagaId }) => {
      latencies.push(nowMs() - startedAt.get(sagaId)!);
      if (latencies.length === sagas) resolve();
    });
  });
  // Warm the pool so every backend exists before the CPU counters are read.
  await Promise.all(Array.from({ length: 10 }, () => sql.query('SELECT pg_sleep(0.01)')));
  const pids = sql.dialect === 'pg' ? await backendPids(sql) : [];
  const db0 = backendCpuMs(pids);
  const cpu0 = process.cpuUsage();
  const load = loadavg()[0]!;
  const t0 = nowMs();
  const starts: Promise<unknown>[] = [];
  for (let i = 0; i < sagas; i++) {
    const sagaId = `s-${i}`;
    startedAt.set(sagaId, nowMs());
    starts.push(runner.start(stubSaga, { i }, { sagaId }));
  }
  await Promise.all(starts);
  await allDone;
  const seconds = (nowMs() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const dbCpu = backendCpuMs(pids) - db0;
  await runner.stop({ drainMs: 0 });
  const perSaga = (ms: number) => Math.round((ms / sagas) * 1000) / 1000;
  return {
    sagas_per_s: Math.round(sagas / seconds),
    ...latencySummary(latencies),
    // CPU per saga: what the throughput would be on an unshared machine (Node and PG each on a core).
    node_cpu_ms_per_saga: perSaga((cpu.user + cpu.system) / 1000),
    db_cpu_ms_per_saga: pids.length > 0 ? perSaga(dbCpu) : Number.NaN,
    load_avg_1m: Math.round(load * 10) / 10,
  };
}

async function throughput(): Promise<void> {
  const sagas = Number(process.env.BENCH_SAGAS ?? 10_000);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 500);
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10, application_name: 'saga-bench' });
  const sql = fromPg(pool);
  const result = await medianOf(RUNS, 'sagas_per_s', async () => {
    const schema = `bench_sagas_${randomBytes(4).toString('hex')}`;
    try {
      return await throughputRun(sql, schema, sagas, concurrency);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
  await sql.close?.();
  await pool.end();
  emit({
    name: 'saga.throughput',
    engine: 'postgres',
    steps: 5,
    sagas,
    concurrency,
    target_sagas_per_s: 1000,
    ...result,
    // Node and PostgreSQL each on a core of an unshared machine: the slower of the two bounds throughput.
    cpu_bound_sagas_per_s: Math.round(
      1000 / Math.max(result.node_cpu_ms_per_saga, result.db_cpu_ms_per_saga),
    ),
  });

  const liteSagas = Math.min(sagas, 3_000);
  const lite = await medianOf(RUNS, 'sagas_per_s', async () => {
    const db = new PGlite();
    try {
      return await throughputRun(fromPglite(db), 'bench', liteSagas, concurrency);
    } finally {
      await db.close();
    }
  });
  emit({ name: 'saga.throughput', engine: 'pglite', steps: 5, sagas: liteSagas, concurrency, ...lite });
}

async function recoveryRun(leaseMs: number): Promise<{
  seconds: number;
  first_resume_seconds: number;
  orphaned_sagas: number;
  doubled_steps: number;
  reexecuted_actions: number;
}> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  const sql = fromPg(pool);
  const schema = `bench_recovery_${randomBytes(4).toString('hex')}`;
  const s = `"${schema}"`;
  const sagas = 20;
  const host = createSagaRunner({ sql, schema });
  await host.migrate();
  await sql.exec(sideEffectsDdl(schema));
  const env = {
    DATABASE_URL,
    SAGA_SCHEMA: schema,
    LEASE_MS: String(leaseMs),
    POLL_MS: '1000',
    CONCURRENCY: String(sagas),
    STEP_DELAY_MS: '300',
  };
  const a = spawnWorker({ ...env, WORKER_ID: 'worker-a' });
  const b = spawnWorker({ ...env, WORKER_ID: 'worker-b' });
  try {
    await Promise.all([a.ready, b.ready]);
    const saga = sideEffectSaga({ sql, schema, workerId: 'host', delayMs: 0 });
    for (let i = 0; i < sagas; i++) await host.start(saga, { n: i }, { sagaId: `r-${i}` });
    // Kill A once it holds sagas with recorded steps (mid-saga).
    for (;;) {
      const { rows } = await sql.query<{ n: string }>(
        `SELECT count(DISTINCT g.saga_id) AS n FROM ${s}.sagas g JOIN ${s}.saga_steps st
           ON st.saga_id = g.saga_id AND st.worker_id = 'worker-a'
          WHERE g.status = 'running' AND g.lease_owner = 'worker-a'`,
      );
      if (Number(rows[0]?.n) > 0) break;
      await sleep(10);
    }
    a.kill('SIGKILL');
    const killedAt = Date.now();
    await a.exited;
    const { rows: orphans } = await sql.query<{ saga_id: string }>(
      `SELECT saga_id FROM ${s}.sagas WHERE status = 'running' AND lease_owner = 'worker-a'`,
    );
    const orphaned = orphans.map((r) => r.saga_id);
    // Resumed = worker B has started a step of the saga after the kill (B's clock, same host).
    const resumeTimes = new Map<string, number>();
    const deadline = killedAt + leaseMs * 3 + 30_000;
    while (resumeTimes.size < orphaned.length && Date.now() < deadline) {
      const { rows } = await sql.query<{ saga_id: string; started: Date }>(
        `SELECT saga_id, min(started_at) AS started FROM ${s}.saga_steps
          WHERE worker_id = 'worker-b' AND saga_id IN (SELECT jsonb_array_elements_text($1::jsonb))
          GROUP BY saga_id`,
        [JSON.stringify(orphaned)],
      );
      for (const r of rows) {
        const t = new Date(r.started).getTime();
        if (t >= killedAt - 50) resumeTimes.set(r.saga_id, t);
      }
      await sleep(50);
    }
    for (let i = 0; i < sagas; i++) await host.waitFor(`r-${i}`, { timeoutMs: leaseMs * 3 + 60_000 });
    const { rows: doubled } = await sql.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM ${s}.saga_steps WHERE outcome = 'completed'
                 GROUP BY saga_id, phase, step_index HAVING count(*) > 1) d)
            + (SELECT count(*) FROM ${s}.side_effects e JOIN ${s}.saga_steps st
                 ON e.idempotency_key = st.saga_id || ':' || st.step_name
               WHERE st.outcome = 'completed' AND e.at > st.finished_at) AS n`,
    );
    const { rows: again } = await sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${s}.side_effects GROUP BY idempotency_key HAVING count(*) > 1) r`,
    );
    const times = [...resumeTimes.values()].map((t) => (t - killedAt) / 1000);
    return {
      seconds: resumeTimes.size === orphaned.length ? round(Math.max(...times)) : Number.POSITIVE_INFINITY,
      first_resume_seconds: round(Math.min(...times)),
      orphaned_sagas: orphaned.length,
      doubled_steps: Number(doubled[0]?.n),
      reexecuted_actions: Number(again[0]?.n),
    };
  } finally {
    a.kill('SIGKILL');
    b.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await sql.close?.();
    await pool.end();
  }
}

async function recovery(): Promise<void> {
  const leaseMs = DEFAULT_LEASE_TTL_MS;
  const result = await medianOf(RUNS, 'seconds', () => recoveryRun(leaseMs));
  emit({ name: 'saga.recovery', engine: 'postgres', lease_ms: leaseMs, target_seconds: 10, ...result });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Run both saga benchmarks. */
export default async function sagasBenchmark(): Promise<void> {
  const only = process.env.BENCH_CASE;
  if (!only || only === 'throughput') await throughput();
  if (!only || only === 'recovery') await recovery();
}
