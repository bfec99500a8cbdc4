/**
 * A step whose last append carries its completion (`ctx.completeWith`): the
 * events and the step-log entry commit in one statement. On PostgreSQL that
 * is one write statement and one round trip for the step instead of two (the
 * append, then the fenced step-log write). A worker whose lease went before
 * its append writes neither the events nor the entry; an append whose answer
 * was lost after it committed is recovered without a second entry; a worker
 * that dies right after the append leaves a step another worker does not run
 * again. Stores that cannot join (in-memory) record the step the usual way.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { markDatabaseError } from '../../src/core/sql-errors.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import {
  createMemorySagaStore,
  createSagaRunner,
  createSqlSagaStore,
  defineSaga,
  SagaLeaseLostError,
  type SagaRunner,
  type SagaStore,
  type SagaWrite,
} from '../../src/sagas/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { countingPgPool, type CountingPgPool } from '../support/counting-pg-pool.js';
import { interceptSql } from '../support/intercept-sql.js';
import { postgresEngine, postgresUrl, sqlEngines, uniqueSchema } from '../support/databases.js';
import { hangingLeases } from './fixtures/hanging-leases.js';

/** Long leases and beats: no heartbeat or claim falls inside a measured step. */
const QUIET = { leaseMs: 60_000, heartbeatMs: 20_000, pollIntervalMs: 60_000 } as const;

/** A gate a test opens once. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/**
 * A two-step saga: `pay` appends one event to `paid-<saga>` (keyed by `key`,
 * default the step's key) with its completion, after `beforeAppend`; `after`
 * waits for `hold` (so nothing else is written while a test counts).
 */
function paySaga(
  store: EventStore,
  options: {
    beforeAppend?: () => Promise<void>;
    hold?: Promise<void>;
    key?: (ctx: { idempotencyKey: string; attempt: number }) => string | undefined;
    runs?: string[];
  } = {},
) {
  return defineSaga<null>({
    name: 'joined_pay',
    steps: [
      {
        name: 'pay',
        action: async (ctx) => {
          options.runs?.push(ctx.sagaId);
          await options.beforeAppend?.();
          const output = { paid: 42 };
          const key = options.key ? options.key(ctx) : ctx.idempotencyKey;
          await store.append(`paid-${ctx.sagaId}`, [{ type: 'paid', data: { amount: 42 } }], {
            ...(key === undefined ? {} : { idempotencyKey: key }),
            ...ctx.completeWith(output),
          });
          return output;
        },
        compensation: 'none',
      },
      { name: 'after', action: () => options.hold, compensation: 'none' },
    ],
  });
}

/** The first step `pay` of a saga held under token 1, completed with `output` (no transition). */
const payCompleted = (sagaId: string, output: unknown): SagaWrite => ({
  sagaId,
  token: 1,
  transition: false,
  status: 'running',
  cursor: 1,
  compensationFailed: false,
  finish: false,
  log: {
    name: 'pay',
    stepIndex: 0,
    phase: 'action',
    outcome: 'completed',
    attempts: 1,
    output,
    error: null,
    startedAt: new Date(),
  },
});

const stepsOf = async (runner: SagaRunner, sagaId: string) =>
  (await runner.history(sagaId)).map((h) => [h.name, h.outcome]);

describe.skipIf(!postgresEngine.available)('a joined step on PostgreSQL, counted', () => {
  let inner: pg.Pool;
  let counting: CountingPgPool;
  let sql: SqlClient;
  let schema: string;
  let runner: SagaRunner | undefined;
  let store: EventStore;

  beforeEach(async () => {
    inner = new pg.Pool({ connectionString: postgresUrl()!, max: 4 });
    counting = countingPgPool(inner);
    sql = fromPg(counting.pool);
    schema = uniqueSchema('jsa');
    store = createEventStore({ sql, schema });
    await store.migrate();
  });
  afterEach(async () => {
    await runner?.stop({ drainMs: 0, releaseLeases: false });
    await store.close();
    await inner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await inner.end();
  });

  it("writes the step's events and its log entry in one statement, one round trip, one transaction", async () => {
    const appending = gate();
    const release = gate();
    const hold = gate();
    const saga = paySaga(store, {
      beforeAppend: async () => {
        appending.open();
        await release.wait;
      },
      hold: hold.wait,
    });
    runner = createSagaRunner({ sql, schema, ...QUIET, definitions: [saga] });
    await runner.migrate();
    runner.startWorker();
    // Warm: the stream's partition, the prepared statements.
    await store.append('warm', [{ type: 'paid', data: { amount: 0 } }]);
    const completed = new Promise<void>((resolve) =>
      runner!.on('saga:step_completed', (e) => e.step === 'pay' && resolve()),
    );
    const { sagaId } = await runner.start(saga, null, { sagaId: 'count-1' });
    await appending.wait;
    counting.sent.length = 0;
    counting.roundTrips.count = 0;
    release.open();
    await completed;
    // Reads (none expected) and the processors' lag read are not the step's writes.
    const writes = counting.sent.filter((text) => !/^\s*SELECT\b(?!.*append_batch)/s.test(text));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/append_batch/);
    expect(writes[0]).toMatch(/record_joined_steps/);
    expect(counting.roundTrips.count).toBe(1);
    // No BEGIN / COMMIT: the statement's own implicit transaction.
    expect(counting.sent.some((t) => /^\s*(BEGIN|COMMIT)/.test(t))).toBe(false);
    expect(await stepsOf(runner, sagaId)).toEqual([['pay', 'completed']]);
    expect((await store.readStream(`paid-${sagaId}`)).events).toHaveLength(1);
    hold.open();
    expect((await runner.waitFor(sagaId)).status).toBe('completed');
  });
});

describe.each(sqlEngines)('a joined step on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: Awaited<ReturnType<typeof engine.open>>;
    let sagaStore: SagaStore;
    let store: EventStore;
    const runners: SagaRunner[] = [];
    const runnerOf = (options: Parameters<typeof createSagaRunner>[0]) => {
      const runner = createSagaRunner({ store: sagaStore, ...QUIET, ...options });
      runners.push(runner);
      return runner;
    };

    /** Both stores on `sql` (the engine's client, or a wrapper of it). */
    const open = async (sql: SqlClient) => {
      sagaStore = createSqlSagaStore({ sql, schema: db.schema });
      await sagaStore.migrate();
      store = createEventStore({ sql, schema: db.schema });
      await store.migrate();
    };
    beforeEach(async () => {
      db = await engine.open();
    });
    /** Held lease calls to let go before the runners stop (a stop waits for its claim in flight). */
    const resumes: (() => void)[] = [];
    afterEach(async () => {
      for (const resume of resumes.splice(0)) resume();
      for (const r of runners.splice(0)) await r.stop({ drainMs: 0, releaseLeases: false });
      await store.close();
      await db.close();
    });

    it('a worker whose lease went before its append writes neither the events nor the entry', async () => {
      await open(db.sql);
      const appending = gate();
      const release = gate();
      let first = true;
      const saga = paySaga(store, {
        beforeAppend: async () => {
          if (!first) return;
          first = false;
          appending.open();
          await release.wait;
        },
        // Without a shared key: only the fence can keep the stale worker's events out.
        key: () => undefined,
      });
      const frozen = hangingLeases(sagaStore);
      resumes.push(() => frozen.resume());
      const a = runnerOf({
        store: frozen.store,
        leaseMs: 600_000,
        heartbeatMs: 200_000,
        definitions: [saga],
      });
      const lost = new Promise<string>((resolve) => a.on('saga:lease_lost', (e) => resolve(e.reason)));
      a.startWorker();
      const { sagaId } = await a.start(saga, null, { sagaId: 'fenced-1' });
      await appending.wait;
      // A pauses and its lease goes (given up under it: for the store the same as run out).
      frozen.hang();
      await sagaStore.release(a.workerId, [sagaId]);
      release.open(); // A appends with its stale token
      expect(await lost).toBe('taken');
      expect((await store.readStream(`paid-${sagaId}`)).events).toHaveLength(0);
      expect(await stepsOf(a, sagaId)).toEqual([]);

      const b = runnerOf({ definitions: [saga], pollIntervalMs: 50 });
      b.startWorker();
      expect((await b.waitFor(sagaId)).status).toBe('completed');
      expect((await store.readStream(`paid-${sagaId}`)).events).toHaveLength(1);
      // Recorded once, under the new lease (B's, or A's own new claim when its first claim,
      // sent before the hang, reached the database after the release: a busy machine).
      expect(await stepsOf(b, sagaId)).toEqual([
        ['pay', 'completed'],
        ['after', 'completed'],
      ]);
    });

    it('in one flush with other appends, only the fenced one fails, and it writes nothing', async () => {
      await open(db.sql);
      await sagaStore.insert([
        { sagaId: 'held', definition: 'd', input: null, owner: 'w1', leaseMs: 60_000 },
        { sagaId: 'lost', definition: 'd', input: null, owner: 'w1', leaseMs: 60_000 },
      ]);
      const committed: string[] = [];
      const step = (sagaId: string, owner: string) =>
        sagaStore.joinStep!(owner, payCompleted(sagaId, { sagaId }), () => committed.push(sagaId));
      const paid = [{ type: 'paid', data: { amount: 1 } }];
      const outcomes = await store.appendMany([
        { streamId: 'paid-held', events: paid, options: { joined: step('held', 'w1') } },
        { streamId: 'paid-lost', events: paid, options: { joined: step('lost', 'w2') } }, // not its owner
        { streamId: 'plain', events: paid },
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const refused = outcomes[1] as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(SagaLeaseLostError);
      expect((refused.reason as SagaLeaseLostError).sagaId).toBe('lost');
      expect(committed).toEqual(['held']);
      expect((await store.readStream('paid-held')).events).toHaveLength(1);
      expect((await store.readStream('paid-lost')).events).toHaveLength(0);
      expect((await store.readStream('plain')).events).toHaveLength(1);
      expect((await sagaStore.history('held')).map((h) => [h.name, h.output])).toEqual([
        ['pay', { sagaId: 'held' }],
      ]);
      expect(await sagaStore.history('lost')).toEqual([]);
    });

    it("an append its key's earlier append answers writes no entry: the action goes on, the runner records it", async () => {
      await open(db.sql);
      const saga = paySaga(store);
      const runner = runnerOf({ definitions: [saga], pollIntervalMs: 50 });
      const sagaId = 'replayed-1';
      // An earlier run's append went through without the step's entry (it died before recording).
      await store.append(`paid-${sagaId}`, [{ type: 'paid', data: { amount: 7 } }], {
        idempotencyKey: `${sagaId}:pay`,
      });
      const committed: boolean[] = [];
      const step = sagaStore.joinStep!('w1', payCompleted(sagaId, { paid: 42 }), () => committed.push(true));
      await sagaStore.insert([{ sagaId, definition: saga.name, input: null, owner: 'w1', leaseMs: 60_000 }]);
      const replay = await store.append(`paid-${sagaId}`, [{ type: 'paid', data: { amount: 42 } }], {
        idempotencyKey: `${sagaId}:pay`,
        joined: step,
      });
      // The earlier append answered; the output given for this one is not the step's: no entry.
      expect(replay.duplicate).toBe(true);
      expect(committed).toEqual([]);
      expect(await sagaStore.history(sagaId)).toEqual([]);
      expect((await store.readStream(`paid-${sagaId}`)).events.map((e) => e.data)).toEqual([{ amount: 7 }]);
      // Run by a runner, the step is recorded after its action, once.
      await sagaStore.release('w1', [sagaId]);
      runner.startWorker();
      expect((await runner.waitFor(sagaId)).status).toBe('completed');
      expect(await stepsOf(runner, sagaId)).toEqual([
        ['pay', 'completed'],
        ['after', 'completed'],
      ]);
    });

    it('an append whose answer was lost after it committed is recovered without a second entry or event', async () => {
      let lose = true;
      await open(
        interceptSql(db.sql, async (text, _params, next) => {
          const answer = await next();
          if (lose && text.includes('record_joined_steps')) {
            lose = false; // committed, then the connection "drops" before the answer
            throw markDatabaseError(
              Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' }),
            );
          }
          return answer;
        }),
      );
      const runs: string[] = [];
      const saga = paySaga(store, { runs });
      const runner = runnerOf({ definitions: [saga] });
      runner.startWorker();
      const { sagaId } = await runner.start(saga, null, { sagaId: 'lost-1' });
      expect((await runner.waitFor(sagaId)).status).toBe('completed');
      expect(lose).toBe(false);
      expect((await store.readStream(`paid-${sagaId}`)).events).toHaveLength(1);
      expect(await stepsOf(runner, sagaId)).toEqual([
        ['pay', 'completed'],
        ['after', 'completed'],
      ]);
      expect(runs).toEqual([sagaId]); // the store found out; the action was not run again
    });

    it('a worker that dies right after the joined append leaves a step the next worker does not run again', async () => {
      await open(db.sql);
      const runs: string[] = [];
      const hold = gate();
      const saga = paySaga(store, { runs, hold: hold.wait });
      const frozen = hangingLeases(sagaStore);
      resumes.push(() => frozen.resume());
      const a = runnerOf({ store: frozen.store, definitions: [saga] });
      const paid = new Promise<void>((resolve) =>
        a.on('saga:step_completed', (e) => e.step === 'pay' && resolve()),
      );
      a.startWorker();
      const { sagaId } = await a.start(saga, null, { sagaId: 'crash-1' });
      await paid;
      // A "dies" between the steps: its lease goes and it writes nothing more.
      frozen.hang();
      await sagaStore.release(a.workerId, [sagaId]);
      hold.open();
      const b = runnerOf({ definitions: [saga], pollIntervalMs: 50 });
      b.startWorker();
      await expect
        .poll(async () => (await b.history(sagaId)).some((h) => h.name === 'after'), { timeout: 30_000 })
        .toBe(true);
      expect(runs).toEqual([sagaId]);
      expect((await store.readStream(`paid-${sagaId}`)).events).toHaveLength(1);
      const pay = (await b.history(sagaId)).filter((h) => h.name === 'pay');
      expect(pay.map((h) => [h.outcome, h.workerId])).toEqual([['completed', a.workerId]]);
      frozen.resume();
    });
  });
});

describe('a joined step where the stores cannot join', () => {
  it('is recorded after the action, once (in-memory saga store and event store)', async () => {
    const store = createEventStore({});
    const saga = paySaga(store);
    const runner = createSagaRunner({ store: createMemorySagaStore(), definitions: [saga] });
    runner.startWorker();
    const { sagaId } = await runner.start(saga, null, { sagaId: 'mem-1' });
    expect((await runner.waitFor(sagaId)).status).toBe('completed');
    expect(await stepsOf(runner, sagaId)).toEqual([
      ['pay', 'completed'],
      ['after', 'completed'],
    ]);
    expect((await store.readStream(`paid-${sagaId}`)).events).toHaveLength(1);
    await runner.stop({ drainMs: 0 });
  });

  it('is recorded after the action, once (SQL saga store, in-memory event store)', async () => {
    const db = await sqlEngines[0]!.open();
    const sagaStore = createSqlSagaStore({ sql: db.sql, schema: db.schema });
    await sagaStore.migrate();
    const store = createEventStore({});
    const saga = paySaga(store);
    const runner = createSagaRunner({ store: sagaStore, definitions: [saga], pollIntervalMs: 50 });
    runner.startWorker();
    const { sagaId } = await runner.start(saga, null, { sagaId: 'mixed-1' });
    expect((await runner.waitFor(sagaId)).status).toBe('completed');
    expect(await stepsOf(runner, sagaId)).toEqual([
      ['pay', 'completed'],
      ['after', 'completed'],
    ]);
    await runner.stop({ drainMs: 0 });
    await db.close();
  });
});
