import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSagaRunner, type SagaRunner } from '../../src/sagas/index.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';
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
    await until(async () => {
      const { rows } = await db.sql.query<{ n: string }>(
        `SELECT count(DISTINCT g.saga_id) AS n FROM "${db.schema}".sagas g
           JOIN "${db.schema}".saga_steps st ON st.saga_id = g.saga_id AND st.worker_id = 'worker-a'
          WHERE g.status = 'running' AND g.lease_owner = 'worker-a'`,
      );
      return Number(rows[0]?.n) > 0;
    });
    a.kill('SIGKILL');
    await a.exited;
    const { rows: orphaned } = await db.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${db.schema}".sagas WHERE status = 'running' AND lease_owner = 'worker-a'`,
    );
    expect(Number(orphaned[0]?.n)).toBeGreaterThan(0);

    for (const id of ids) expect((await host.waitFor(id, { timeoutMs: 60_000 })).status).toBe('completed');

    const s = `"${db.schema}"`;
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

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
