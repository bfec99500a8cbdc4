/**
 * `npm run bench -- failover` on real PostgreSQL: issue 10, "many hosts".
 *
 * Two worker processes (`support/failover-worker.ts`), each running a
 * processor, a saga runner and a saga trigger on one schema with the
 * library's default leases (6 s, heartbeat 2 s). Under a steady load of
 * appends, each starting a three-step saga, the worker holding the
 * processor's lease — and sagas in mid-flight — is SIGKILLed. One JSON line,
 * `failover.takeover`, median (by `seconds`) of BENCH_RUNS runs (default 3):
 *
 * - `seconds` (target ≤ 10): from the kill until work resumed on the other
 *   worker — the later of `projection_seconds` (its first projected event)
 *   and `saga_seconds` (when the last orphaned saga moved: the other
 *   worker's first call or recorded step of it, or its finish);
 * - `doubled_steps` (must be 0): a step's effect recorded twice for one
 *   idempotency key (two executions at once), or after the step was recorded done;
 * - `lost_events` (must be 0): appended events the projection never saw;
 * - `reexecuted_actions` (informational): steps called more than once — the
 *   ones in flight at the kill, run again under their idempotency key.
 *
 * Times come from the database clock. Environment: BENCH_PG_URL, BENCH_RUNS,
 * FAILOVER_RATE (appends/s, default 100), FAILOVER_AFTER_KILL_S (load after
 * the kill, default 15), FAILOVER_STEP_MS (one step's duration, default 200).
 * No baseline: Emmett has neither leases nor a saga runner.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { fromPg } from '../src/adapters/pg.js';
import { quoteIdent, type SqlClient } from '../src/core/sql-client.js';
import { DEFAULT_LEASE_TTL_MS, migrateProcessing, resolveLeaseTiming } from '../src/processing/index.js';
import { createSagaRunner } from '../src/sagas/index.js';
import { createEventStore } from '../src/store/create-event-store.js';
import type { EventStore } from '../src/store/types.js';
import { runProgram, type ChildProgram } from '../test/support/child-process.js';
import { failoverDdl, ORDER_PLACED } from './support/failover-app.js';
import { openPool, PG_URL } from './support/pg-bench.js';
import { emit, medianOf, round } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = Number(process.env.FAILOVER_RATE ?? 100);
const AFTER_KILL_S = Number(process.env.FAILOVER_AFTER_KILL_S ?? 15);
const STEP_MS = Number(process.env.FAILOVER_STEP_MS ?? 200);
const WORKER = fileURLToPath(new URL('./support/failover-worker.ts', import.meta.url));

interface RunResult extends Record<string, number> {
  seconds: number;
  projection_seconds: number;
  saga_seconds: number;
  orphaned_sagas: number;
  events: number;
  doubled_steps: number;
  lost_events: number;
  reexecuted_actions: number;
}

/** Appends at a steady rate (one event per order stream) until stopped; remembers what was stored. */
function steadyAppends(store: EventStore, ratePerS: number) {
  const ids: string[] = [];
  const pending = new Set<Promise<void>>();
  let running = true;
  let failures = 0;
  const loop = (async () => {
    const start = performance.now();
    let sent = 0;
    while (running) {
      const due = Math.floor(((performance.now() - start) / 1000) * ratePerS);
      for (; sent < due; sent++) {
        const id = randomUUID();
        const p = store
          .append(`order-${id}`, [{ id, type: ORDER_PLACED, data: { n: sent } }], { aggregateType: 'order' })
          .then(
            () => void ids.push(id),
            () => void failures++,
          )
          .finally(() => pending.delete(p));
        pending.add(p);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(pending);
  })();
  return {
    ids,
    failures: () => failures,
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`failover: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function count(sql: SqlClient, query: string, params: unknown[] = []): Promise<number> {
  const { rows } = await sql.query<{ n: string }>(query, params);
  return Number(rows[0]?.n ?? 0);
}

async function failoverRun(run: number): Promise<RunResult> {
  const pool = openPool({ max: 8 });
  const sql = fromPg(pool);
  const schema = `bench_failover_${randomUUID().slice(0, 8)}`;
  const s = quoteIdent(schema);
  const store = createEventStore({ sql, schema });
  await store.migrate();
  await migrateProcessing(sql, schema);
  const host = createSagaRunner({ sql, schema });
  await host.migrate();
  await sql.exec(failoverDdl(schema));
  const env = { DATABASE_URL: PG_URL, SCHEMA: schema, STEP_MS: String(STEP_MS) };
  const workers: ChildProgram[] = [];
  const load = steadyAppends(store, RATE);
  try {
    // A first, so it holds the processor's lease; B is the standby (and a second saga worker).
    const a = runProgram(WORKER, { ...env, WORKER_ID: 'worker-a' });
    workers.push(a);
    await a.line(/^lease_acquired$/, 120_000);
    const b = runProgram(WORKER, { ...env, WORKER_ID: 'worker-b' });
    workers.push(b);
    await b.line(/^ready$/, 120_000);

    // Mid-load and mid-saga: A holds running sagas with steps recorded.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await until(
      'worker A mid-saga',
      async () =>
        (await count(
          sql,
          `SELECT count(DISTINCT g.saga_id) AS n FROM ${s}.sagas g
             JOIN ${s}.saga_steps st ON st.saga_id = g.saga_id AND st.worker_id = 'worker-a'
            WHERE g.status = 'running' AND g.lease_owner = 'worker-a'`,
        )) > 0,
      60_000,
    );
    a.kill('SIGKILL');
    await a.exited;
    const { rows: orphans } = await sql.query<{ saga_id: string; killed_at: Date }>(
      `SELECT saga_id, clock_timestamp() AS killed_at FROM ${s}.sagas
        WHERE status IN ('running', 'compensating') AND lease_owner = 'worker-a'`,
    );
    const killedAt =
      orphans[0]?.killed_at ??
      (await sql.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now;

    await new Promise((resolve) => setTimeout(resolve, AFTER_KILL_S * 1000));
    await load.stop();
    if (load.failures() > 0) process.stderr.write(`failover: ${load.failures()} appends failed\n`);
    const appended = load.ids;
    // Let B finish: every appended event projected and every saga final.
    await until(
      'the projection to catch up',
      async () => (await count(sql, `SELECT count(*) AS n FROM ${s}.projected`)) >= appended.length,
      120_000,
    ).catch(() => undefined); // measured below as lost_events
    await until(
      'every saga to finish',
      async () =>
        (await count(
          sql,
          `SELECT count(*) AS n FROM ${s}.sagas WHERE status IN ('running', 'compensating')`,
        )) === 0,
      120_000,
    ).catch(() => undefined);

    const sinceKill = (at: Date | null | undefined) =>
      at ? (new Date(at).getTime() - new Date(killedAt).getTime()) / 1000 : Number.POSITIVE_INFINITY;
    const { rows: firstProjected } = await sql.query<{ at: Date | null }>(
      `SELECT min(at) AS at FROM ${s}.projected WHERE worker = 'worker-b'`,
    );
    // An orphan resumed when B first called a step of it, recorded a step of
    // it, or finished it (one whose steps were all done by A has no call left).
    const { rows: movedAt } = await sql.query<{ saga_id: string; at: Date | null }>(
      `SELECT o.saga_id, LEAST(
                (SELECT min(c.at) FROM ${s}.calls c WHERE c.worker = 'worker-b' AND c.saga_id = o.saga_id),
                (SELECT min(st.finished_at) FROM ${s}.saga_steps st
                  WHERE st.worker_id = 'worker-b' AND st.saga_id = o.saga_id),
                (SELECT g.finished_at FROM ${s}.sagas g WHERE g.saga_id = o.saga_id AND g.finished_at > $2)) AS at
         FROM unnest($1::text[]) AS o(saga_id)`,
      [orphans.map((o) => o.saga_id), killedAt],
    );
    const resumed = movedAt.filter((r) => r.at !== null);
    const projectionSeconds = sinceKill(firstProjected[0]?.at);
    const sagaSeconds =
      resumed.length === orphans.length && orphans.length > 0
        ? Math.max(...resumed.map((r) => sinceKill(r.at)))
        : Number.POSITIVE_INFINITY;
    const doubled =
      (await count(
        sql,
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${s}.effects GROUP BY idempotency_key HAVING count(*) > 1) d`,
      )) +
      (await count(
        sql,
        `SELECT count(*) AS n FROM ${s}.effects e JOIN ${s}.saga_steps st
            ON e.idempotency_key = st.saga_id || ':' || st.step_name
         WHERE st.outcome = 'completed' AND st.phase = 'action' AND e.at > st.finished_at`,
      ));
    const projectedIds = new Set(
      (await sql.query<{ event_id: string }>(`SELECT event_id FROM ${s}.projected`)).rows.map(
        (r) => r.event_id,
      ),
    );
    const result: RunResult = {
      seconds: round(Math.max(projectionSeconds, sagaSeconds)),
      projection_seconds: round(projectionSeconds),
      saga_seconds: round(sagaSeconds),
      orphaned_sagas: orphans.length,
      events: appended.length,
      doubled_steps: doubled,
      lost_events: appended.filter((id) => !projectedIds.has(id)).length,
      reexecuted_actions: await count(
        sql,
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${s}.calls GROUP BY idempotency_key HAVING count(*) > 1) r`,
      ),
    };
    process.stderr.write(`failover run ${run + 1}: ${JSON.stringify(result)}\n`);
    return result;
  } finally {
    await load.stop();
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await store.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await sql.close?.();
    await pool.end();
  }
}

/** Run the failover case. */
export default async function failoverBenchmark(): Promise<void> {
  const timing = resolveLeaseTiming();
  const result = await medianOf(RUNS, 'seconds', failoverRun);
  emit({
    name: 'failover.takeover',
    engine: 'postgres',
    lease_ms: DEFAULT_LEASE_TTL_MS,
    heartbeat_ms: timing.renewIntervalMs,
    rate_per_s: RATE,
    step_ms: STEP_MS,
    target_seconds: 10,
    ...result,
  });
}
