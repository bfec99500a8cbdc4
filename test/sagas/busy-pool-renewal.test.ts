/**
 * A host whose pool is saturated keeps its sagas. The heartbeat used to share
 * the pool's FIFO with the data statements: with every connection busy and
 * more statements queued, a renewal came back 1.2–5.2 s later, past the
 * self-fencing deadline (`leaseMs − heartbeatMs`), so a live host stopped its
 * own sagas and another re-claimed them (up to 256 in one end-to-end run).
 * Renewals now take the adapter's priority lane, which never waits in the pool.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import {
  createSagaRunner,
  createSqlSagaStore,
  defineSaga,
  type SagaRunner,
  type SagaStore,
} from '../../src/sagas/index.js';
import { occupyPool } from '../support/busy-pool.js';
import { dropPostgresSchema, postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const LEASE_MS = 2_000;
const HEARTBEAT_MS = 500;
// Self-fencing after 1.5 s without a renewal; the pool below stays busy three times as long.
const SLOW_STATEMENTS = 3;
const SLOW_SECONDS = 1.5;

/** The store, counting the renewals that came back (and whether the pool was busy then). */
function countingRenewals(inner: SagaStore, isBusy: () => boolean) {
  const renewals: { busy: boolean }[] = [];
  const heartbeat: SagaStore['heartbeat'] = async (owner, sagaIds, leaseMs) => {
    const held = await inner.heartbeat(owner, sagaIds, leaseMs);
    renewals.push({ busy: isBusy() });
    return held;
  };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'heartbeat') return heartbeat;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, renewals };
}

describe.skipIf(postgresUrl() === null)('saga leases under a saturated pool (PostgreSQL)', () => {
  let pool: pg.Pool;
  let sql: SqlClient;
  let schema: string;
  let runner: SagaRunner | undefined;
  const connectionErrors: Error[] = [];
  beforeEach(async () => {
    // One connection carries the runner's LISTEN: one is left for the load.
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
    connectionErrors.length = 0;
    sql = fromPg(pool, { onConnectionError: (err) => connectionErrors.push(err) });
    schema = uniqueSchema('lane');
  });
  afterEach(async () => {
    await runner?.stop({ drainMs: 0, releaseLeases: false }).catch(() => undefined);
    runner = undefined;
    await sql.close?.();
    await pool.end();
    await dropPostgresSchema(schema);
  });

  /** A runner with one saga parked in its first step until `finish()`. */
  async function parkedSaga(isBusy: () => boolean) {
    const store = createSqlSagaStore({ sql, schema });
    await store.migrate();
    let runs = 0;
    let entered!: () => void;
    const running = new Promise<void>((resolve) => (entered = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const saga = defineSaga({
      name: 'parked',
      steps: [
        {
          name: 'long',
          action: async () => {
            runs++;
            entered();
            await finished;
          },
          compensation: 'none',
        },
        { name: 'after', action: () => undefined, compensation: 'none' },
      ],
    });
    const counting = countingRenewals(store, isBusy);
    const started = createSagaRunner({
      store: counting.store,
      leaseMs: LEASE_MS,
      heartbeatMs: HEARTBEAT_MS,
      pollIntervalMs: 50,
      definitions: [saga],
    });
    runner = started;
    const lost: string[] = [];
    const takenOver: number[] = [];
    started.on('saga:lease_lost', (e) => lost.push(e.reason));
    started.on('saga:taken_over', (e) => takenOver.push(e.token));
    started.startWorker();
    const { sagaId } = await started.start(saga, null, { sagaId: 'parked-1' });
    await running;
    return {
      runner: started,
      sagaId,
      renewals: counting.renewals,
      lost,
      takenOver,
      runs: () => runs,
      finish,
    };
  }

  it('renewals come back while every pooled connection is busy: no self-fence, no re-claim', async () => {
    let busy = false;
    const parked = await parkedSaga(() => busy);
    busy = true;
    const load = occupyPool(pool, SLOW_STATEMENTS, SLOW_SECONDS);
    void load.done.then(() => (busy = false));
    // The free connection runs a slow statement and the rest wait in the pool's queue.
    expect(pool.waitingCount).toBeGreaterThanOrEqual(SLOW_STATEMENTS - 1);
    await load.done;

    expect(parked.lost).toEqual([]);
    // About nine beats fit in the busy time; on the pool they waited for all of it.
    expect(parked.renewals.filter((r) => r.busy).length).toBeGreaterThanOrEqual(2);
    parked.finish();
    expect((await parked.runner.waitFor(parked.sagaId, { timeoutMs: 30_000 })).status).toBe('completed');
    expect(parked.lost).toEqual([]);
    expect(parked.takenOver).toEqual([]);
    expect(parked.runs()).toBe(1);
    const history = await parked.runner.history(parked.sagaId);
    expect(history.map((h) => [h.name, h.workerId])).toEqual([
      ['long', parked.runner.workerId],
      ['after', parked.runner.workerId],
    ]);
    const { rows } = await sql.query<{ lease_token: number }>(
      `SELECT lease_token FROM "${schema}".sagas WHERE saga_id = $1`,
      [parked.sagaId],
    );
    expect(rows).toEqual([{ lease_token: 1 }]);
  }, 60_000);

  it("survives its lane's connection being terminated: renewals resume on a new one, nothing unhandled", async () => {
    const parked = await parkedSaga(() => false);
    const lanePid = async () =>
      Number((await sql.priorityLane!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    const before = await lanePid();
    const { rows: pooled } = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(before).not.toBe(Number(pooled[0]!.pid));

    const observer = new pg.Client({ connectionString: postgresUrl()! });
    await observer.connect();
    try {
      const { rows } = await observer.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [
        before,
      ]);
      expect(rows[0]!.ok).toBe(true);
    } finally {
      await observer.end();
    }
    await waitFor(() => connectionErrors.length > 0, { what: "the lane's connection error" });
    const renewed = parked.renewals.length;
    await waitFor(() => parked.renewals.length >= renewed + 2, {
      what: 'two renewals after the termination',
    });
    expect(await lanePid()).not.toBe(before);

    parked.finish();
    expect((await parked.runner.waitFor(parked.sagaId, { timeoutMs: 30_000 })).status).toBe('completed');
    expect(parked.lost).toEqual([]);
    expect(parked.takenOver).toEqual([]);
    expect(parked.runs()).toBe(1);
  }, 60_000);
});
