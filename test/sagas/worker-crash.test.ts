/**
 * Saga worker processes on PostgreSQL with a short (2 s) lease: one is
 * SIGKILLed mid-saga, the other resumes its sagas once their leases ran out
 * (database clock) and finishes them; nothing is recorded twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSagaRunner, type SagaRunner } from '../../src/sagas/index.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { sideEffectSaga, sideEffectsDdl } from './fixtures/side-effect-saga.js';
import { spawnWorker, type WorkerProcess } from './fixtures/spawn-worker.js';

const SAGAS = 12;
const STEPS = 5;

describe.skipIf(!postgresEngine.available)('worker processes on PostgreSQL', () => {
  let db: TestDatabase;
  let host: SagaRunner;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    db = await postgresEngine.open();
    host = createSagaRunner({ sql: db.sql, schema: db.schema });
    await host.migrate();
    await db.sql.exec(sideEffectsDdl(db.schema));
  });

  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await db.close();
  });

  it('a SIGKILLed worker’s sagas resume on another worker; no step is recorded twice or run after it was recorded', async () => {
    const env = { DATABASE_URL: postgresUrl()!, SAGA_SCHEMA: db.schema, LEASE_MS: '2000', POLL_MS: '100' };
    const a = spawnWorker({
      ...env,
      WORKER_ID: 'worker-a',
      CONCURRENCY: String(SAGAS),
      STEP_DELAY_MS: '150',
    });
    const b = spawnWorker({
      ...env,
      WORKER_ID: 'worker-b',
      CONCURRENCY: String(SAGAS),
      STEP_DELAY_MS: '150',
    });
    workers.push(a, b);
    await Promise.all([a.ready, b.ready]);

    const saga = sideEffectSaga({ sql: db.sql, schema: db.schema, workerId: 'host', delayMs: 0 });
    const ids: string[] = [];
    for (let i = 0; i < SAGAS; i++)
      ids.push((await host.start(saga, { n: i }, { sagaId: `crash-${i}` })).sagaId);
    // Kill A mid-saga: once it has recorded a step of a saga it holds and has not finished.
    await waitFor(
      async () => {
        const { rows } = await db.sql.query<{ n: string }>(
          `SELECT count(DISTINCT g.saga_id) AS n FROM "${db.schema}".sagas g
             JOIN "${db.schema}".saga_steps st ON st.saga_id = g.saga_id AND st.worker_id = 'worker-a'
            WHERE g.status = 'running' AND g.lease_owner = 'worker-a'`,
        );
        return Number(rows[0]?.n) > 0;
      },
      { timeoutMs: 60_000, what: 'worker A mid-saga' },
    );
    a.kill('SIGKILL');
    await a.exited;
    const s = `"${db.schema}"`;
    // Read at once: A's leases (2 s, renewed every 667 ms) still have over a second to run.
    const { rows: orphaned } = await db.sql.query<{
      saga_id: string;
      lease_expires_at: Date;
      killed_at: Date;
    }>(
      `SELECT saga_id, lease_expires_at, clock_timestamp() AS killed_at FROM ${s}.sagas
        WHERE status = 'running' AND lease_owner = 'worker-a'`,
    );
    expect(orphaned.length).toBeGreaterThan(0);

    for (const id of ids) expect((await host.waitFor(id, { timeoutMs: 60_000 })).status).toBe('completed');

    // Takeover, on the database clock: B touched none of A's sagas before A's lease on it had
    // run out, and resumed each within the lease plus generous slack after the kill.
    const { rows: resumed } = await db.sql.query<{ saga_id: string; first_at: Date }>(
      `SELECT split_part(idempotency_key, ':', 1) AS saga_id, min(at) AS first_at FROM ${s}.side_effects
        WHERE worker_id = 'worker-b' AND split_part(idempotency_key, ':', 1) = ANY($1::text[])
        GROUP BY 1`,
      [orphaned.map((o) => o.saga_id)],
    );
    expect(resumed.map((r) => r.saga_id).sort()).toEqual(orphaned.map((o) => o.saga_id).sort());
    const killedAt = new Date(orphaned[0]!.killed_at).getTime();
    for (const r of resumed) {
      const lease = orphaned.find((o) => o.saga_id === r.saga_id)!;
      const first = new Date(r.first_at).getTime();
      expect(first).toBeGreaterThanOrEqual(new Date(lease.lease_expires_at).getTime());
      expect(first - killedAt).toBeLessThan(2000 + 5000);
    }

    // Every step of every saga is in the step log exactly once.
    const { rows: perStep } = await db.sql.query<{ saga_id: string; step_name: string; n: string }>(
      `SELECT saga_id, step_name, count(*) AS n FROM ${s}.saga_steps GROUP BY saga_id, step_name`,
    );
    expect(perStep).toHaveLength(SAGAS * STEPS);
    expect(perStep.every((r) => Number(r.n) === 1)).toBe(true);
    // A's sagas really resumed mid-way on B: their steps were recorded by both workers.
    const { rows: mixed } = await db.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT saga_id FROM ${s}.saga_steps GROUP BY saga_id
         HAVING count(DISTINCT worker_id) = 2) m`,
    );
    expect(Number(mixed[0]?.n)).toBeGreaterThan(0);
    const { rows: leftToA } = await db.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${s}.sagas WHERE lease_owner IS NOT NULL OR status <> 'completed'`,
    );
    expect(Number(leftToA[0]?.n)).toBe(0);
    // A step recorded as done never ran again: no call happened after the step's completion was written.
    const { rows: late } = await db.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${s}.side_effects e JOIN ${s}.saga_steps st
         ON e.idempotency_key = st.saga_id || ':' || st.step_name
       WHERE st.outcome = 'completed' AND e.at > st.finished_at`,
    );
    expect(Number(late[0]?.n)).toBe(0);
    // At least once: only a step in flight when A died may have run twice, and then once per saga at most.
    const { rows: repeats } = await db.sql.query<{ idempotency_key: string; n: string }>(
      `SELECT idempotency_key, count(*) AS n FROM ${s}.side_effects GROUP BY idempotency_key HAVING count(*) > 1`,
    );
    expect(repeats.every((r) => Number(r.n) === 2)).toBe(true);
    expect(new Set(repeats.map((r) => r.idempotency_key.split(':')[0])).size).toBe(repeats.length);
    expect(b.stderr()).not.toMatch(/duplicate key|SAGA_LEASE_LOST/);
  });
});
