/**
 * `delivery: 'at-least-once'`: the handler runs with no open transaction and
 * appends through the store (on PGlite, in the one connection), the checkpoint
 * is saved after it, and a failure in between delivers the events again — while
 * the lease, the checkpoint fence, retries and dead letters work as in the
 * default mode.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessor, type Processor, type ProcessorOptions } from '../../src/processing/index.js';
import {
  quoteIdent,
  type QueryOptions,
  type SqlClient,
  type SqlQueryable,
} from '../../src/core/sql-client.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';
import { appendMany, storeEngines, type TestStore } from './support.js';

const FAST_RETRY = { attempts: 3, minTimeoutMs: 1, maxTimeoutMs: 5, jitter: true } as const;

/** The effect under test: an append through the store, idempotent per event. */
async function note(store: EventStore, event: StoredEvent): Promise<void> {
  await store.append(
    `noted-${event.globalPosition}`,
    [{ type: 'test.noted', data: { of: event.globalPosition } }],
    {
      idempotencyKey: `noted:${event.id}`,
    },
  );
}

/** Positions noted in the log, in log order (a doubled effect shows up twice). */
async function noted(store: EventStore): Promise<number[]> {
  const { events } = await store.readAll({ limit: 100_000 });
  return events.filter((e) => e.type === 'test.noted').map((e) => (e.data as { of: number }).of);
}

async function happened(store: EventStore): Promise<number[]> {
  const { events } = await store.readAll({ limit: 100_000 });
  return events.filter((e) => e.type === 'test.happened').map((e) => e.globalPosition);
}

/** Counts deliveries per global position. */
function deliveries() {
  const counts = new Map<number, number>();
  return {
    count(event: StoredEvent) {
      counts.set(event.globalPosition, (counts.get(event.globalPosition) ?? 0) + 1);
    },
    of: (position: number) => counts.get(position) ?? 0,
  };
}

/**
 * The SQL port with checkpoint saves failing while `fail()` says so: the handler's
 * effects are written, the connection is "lost" right before the checkpoint moves.
 */
function failingCheckpointSaves(sql: SqlClient, fail: () => boolean): SqlClient {
  const guard = (q: SqlQueryable): SqlQueryable => ({
    query: <Row>(text: string, params?: readonly unknown[], options?: QueryOptions) =>
      /^\s*UPDATE\s[^;]*processor_checkpoints/.test(text) && fail()
        ? Promise.reject(new Error('connection lost before the checkpoint was saved'))
        : q.query<Row>(text, params, options),
    exec: (text) => q.exec(text),
  });
  return { ...guard(sql), transaction: (fn) => sql.transaction((tx) => fn(guard(tx))) };
}

describe.each(storeEngines)('at-least-once processor on $name', (engine) => {
  let t: TestStore;
  const started: Processor[] = [];
  const run = async (options: Omit<ProcessorOptions, 'store'> & { store?: EventStore }) => {
    const p = createProcessor({ store: t.store, delivery: 'at-least-once', ...options });
    started.push(p);
    await p.start();
    return p;
  };

  /** A test of behaviour only a SQL store has (separate connections, failing saves): not defined in memory. */
  const itOnSql = (name: string, fn: () => Promise<void>, timeout?: number): void => {
    if (engine.name !== 'memory') it.skipIf(!engine.available)(name, fn, timeout);
  };

  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop();
    if (engine.available) await t.close();
  });

  it.skipIf(!engine.available)(
    'runs the handler with no transaction; it appends through the same store without waiting on itself',
    async () => {
      await appendMany(t.store, 'order-1', 12);
      const contexts: unknown[] = [];
      const p = await run({
        name: 'noter',
        eventTypes: ['test.happened'],
        batchSize: 5,
        handle: async (event, ctx) => {
          contexts.push(ctx.tx);
          await note(t.store, event);
        },
      });
      // In the default mode, on PGlite this never resolves: the append waits for the batch transaction.
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      expect(contexts).toHaveLength(12);
      expect(contexts.every((tx) => tx === undefined)).toBe(true);
      expect(await noted(t.store)).toEqual(await happened(t.store));
      // Its own appends are part of the log it reads (filtered out by type).
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      expect((await p.lag()).events).toBe(0);
    },
  );

  it.skipIf(!engine.available)(
    'a failure after the handler wrote its effects delivers the batch again; the effects stay single',
    async () => {
      await appendMany(t.store, 'order-1', 8);
      const all = await happened(t.store);
      const seen = deliveries();
      let failed = false;
      const p = await run({
        name: 'redeliver',
        eventTypes: ['test.happened'],
        batchSize: 4,
        retry: FAST_RETRY,
        handleBatch: async (events) => {
          for (const event of events) {
            seen.count(event);
            await note(t.store, event);
          }
          if (!failed) {
            failed = true;
            throw new Error('died after the effects, before the checkpoint');
          }
        },
      });
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      expect(all.map(seen.of)).toEqual([2, 2, 2, 2, 1, 1, 1, 1]);
      expect(await noted(t.store)).toEqual(all);
      expect(await p.deadLetters.list({ processor: 'redeliver' })).toEqual([]);
    },
  );

  it.skipIf(!engine.available)(
    'retries a failing event with backoff, dead-letters one that keeps failing, and redrives it',
    async () => {
      await appendMany(t.store, 'order-1', 6);
      const all = await happened(t.store);
      const flaky = all[2]!;
      const poison = all[4]!;
      let flakyFailures = 0;
      let broken = true;
      const retries: { position: number; attempt: number }[] = [];
      const dead: { position: number; attempts: number }[] = [];
      const p = await run({
        name: 'dlq',
        eventTypes: ['test.happened'],
        retry: FAST_RETRY,
        handle: async (event, ctx) => {
          if (event.globalPosition === poison && broken) throw new TypeError('cannot read sku of undefined');
          await note(t.store, event);
          // Fails after its effect: the batch attempt, then the first single-event attempt.
          if (event.globalPosition === flaky && flakyFailures < 2) {
            flakyFailures++;
            throw new Error(`flaky on attempt ${ctx.attempt}`);
          }
        },
      });
      p.on('processor:retry', ({ event, attempt }) =>
        retries.push({ position: event.globalPosition, attempt }),
      );
      p.on('processor:dead_lettered', ({ event, attempts }) =>
        dead.push({ position: event.globalPosition, attempts }),
      );
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      expect(retries).toEqual([
        { position: flaky, attempt: 1 },
        { position: poison, attempt: 1 },
        { position: poison, attempt: 2 },
      ]);
      expect(dead).toEqual([{ position: poison, attempts: 3 }]);
      // The poison event was passed (the one after it is handled) and left no effect.
      expect(await noted(t.store)).toEqual(all.filter((x) => x !== poison));

      broken = false;
      const [letter] = await p.deadLetters.list({ processor: 'dlq' });
      expect(await p.redrive()).toEqual({ redriven: [letter!.id], failed: [] });
      expect(await p.deadLetters.list({ processor: 'dlq' })).toEqual([]);
      expect((await noted(t.store)).sort((a, b) => a - b)).toEqual(all);
    },
  );

  itOnSql('a failed checkpoint save delivers the handled events again', async () => {
    await appendMany(t.store, 'order-1', 6);
    const all = await happened(t.store);
    let failSaves = 1;
    const flaky = createEventStore({
      sql: failingCheckpointSaves(t.store.sql!, () => failSaves-- > 0),
      schema: t.store.schema,
    });
    try {
      const seen = deliveries();
      const p = await run({
        store: flaky,
        name: 'lost-save',
        eventTypes: ['test.happened'],
        retry: FAST_RETRY,
        // Each batch's save at once (deferred saves: deferred-checkpoint.test.ts).
        skippedCheckpointMs: 0,
        handle: async (event) => {
          seen.count(event);
          await note(flaky, event);
        },
      });
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      // The whole page was handled, its save failed, and each event was delivered again.
      expect(all.map(seen.of)).toEqual(all.map(() => 2));
      expect(await noted(t.store)).toEqual(all);
      await p.stop();
    } finally {
      await flaky.close();
    }
  });

  itOnSql(
    'an instance that dies after its handler, before saving the checkpoint, leaves the events to the next',
    async () => {
      await appendMany(t.store, 'order-1', 5);
      const all = await happened(t.store);
      const dying = createEventStore({
        sql: failingCheckpointSaves(t.store.sql!, () => true),
        schema: t.store.schema,
      });
      const first = deliveries();
      const second = deliveries();
      try {
        const a = await run({
          store: dying,
          name: 'crash',
          eventTypes: ['test.happened'],
          retry: { attempts: 1 },
          errorBackoffMs: 60_000,
          handle: async (event) => {
            first.count(event);
            await note(dying, event);
          },
        });
        const errors: unknown[] = [];
        a.on('error', (err) => errors.push(err));
        await expect.poll(() => errors.length, { timeout: 20_000 }).toBeGreaterThan(0);
        expect(all.map(first.of).every((n) => n > 0)).toBe(true);
        await a.stop(); // releases the lease, as its expiry would after a crash
      } finally {
        await dying.close();
      }
      const b = await run({
        name: 'crash',
        eventTypes: ['test.happened'],
        handle: async (event) => {
          second.count(event);
          await note(t.store, event);
        },
      });
      await b.whenCaughtUp({ timeoutMs: 20_000 });
      expect(all.map(second.of)).toEqual(all.map(() => 1));
      expect(await noted(t.store)).toEqual(all);
      expect(await b.deadLetters.list({ processor: 'crash' })).toEqual([]);
    },
  );

  itOnSql('the lease keeps a second instance out; stopping the holder hands over', async () => {
    await appendMany(t.store, 'order-1', 6);
    const handledBy: string[] = [];
    const make = (id: string) =>
      run({
        name: 'leased',
        eventTypes: ['test.happened'],
        lease: { ttlMs: 30_000, acquireIntervalMs: 50, owner: id },
        handle: async (event) => {
          handledBy.push(id);
          await note(t.store, event);
        },
      });
    const a = await make('a');
    await a.whenCaughtUp({ timeoutMs: 20_000 });
    const b = await make('b');
    await appendMany(t.store, 'order-1', 4);
    await a.whenCaughtUp({ timeoutMs: 20_000 });
    await b.whenCaughtUp({ timeoutMs: 20_000 });
    expect([a.leaseHeld, b.leaseHeld]).toEqual([true, false]);
    expect(handledBy).toEqual(Array(10).fill('a'));
    await a.stop();
    await expect.poll(() => b.leaseHeld, { timeout: 20_000 }).toBe(true);
    await appendMany(t.store, 'order-1', 3);
    await b.whenCaughtUp({ timeoutMs: 20_000 });
    expect(handledBy.filter((x) => x === 'b')).toHaveLength(3);
    expect(await noted(t.store)).toEqual(await happened(t.store));
  });

  itOnSql(
    'two instances without a lease never move the checkpoint back (fence) and miss nothing',
    async () => {
      await appendMany(t.store, 'order-1', 60, 'test.happened', (i) => ({ i }), 10);
      const seen = deliveries();
      const make = () =>
        run({
          name: 'unleased',
          eventTypes: ['test.happened'],
          lease: false,
          batchSize: 7,
          retry: { attempts: 50, minTimeoutMs: 1, maxTimeoutMs: 3 },
          handle: async (event) => {
            seen.count(event);
            await note(t.store, event);
          },
        });
      const [a, b] = await Promise.all([make(), make()]);
      const letters: unknown[] = [];
      for (const p of [a, b]) p.on('processor:dead_lettered', (l) => letters.push(l));
      await Promise.all([a.whenCaughtUp({ timeoutMs: 30_000 }), b.whenCaughtUp({ timeoutMs: 30_000 })]);
      const all = await happened(t.store);
      expect(all.every((x) => seen.of(x) >= 1)).toBe(true);
      expect(await noted(t.store)).toEqual(all);
      expect(letters).toEqual([]);
    },
  );

  it.skipIf(!engine.available)(
    'ctx.withCheckpoint (SQL only) sends the batch’s write in the statement that moves its checkpoint',
    async () => {
      await appendMany(t.store, 'order-1', 6);
      const sql = t.store.sql;
      const table = sql ? `${quoteIdent(t.store.schema)}.with_checkpoint` : '';
      if (sql) await sql.query(`CREATE TABLE ${table} (position bigint PRIMARY KEY)`);
      const offered: boolean[] = [];
      const returned: number[] = [];
      const p = await run({
        name: 'with-checkpoint',
        eventTypes: ['test.happened'],
        batchSize: 4,
        handleBatch: async (events, ctx) => {
          offered.push(ctx.withCheckpoint !== undefined);
          if (!ctx.withCheckpoint) return;
          const rows = await ctx.withCheckpoint<{ position: number }>(
            `INSERT INTO ${table} (position) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING RETURNING position`,
            [events.map((e) => e.globalPosition)],
          );
          returned.push(...rows.map((r) => r.position));
          // One write a batch: the checkpoint has moved with the first.
          await expect(ctx.withCheckpoint('SELECT 1', [])).rejects.toThrow(/one write a batch/);
        },
      });
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      // Absent in memory (nothing to join the checkpoint to); present on every SQL batch.
      expect(offered).toEqual(engine.name === 'memory' ? [false, false] : [true, true]);
      if (!sql) return;
      const all = await happened(t.store);
      expect(returned).toEqual(all);
      expect(await p.lag()).toMatchObject({ events: 0 });
      const stored = await sql.query<{ checkpoint: string }>(
        `SELECT checkpoint FROM ${quoteIdent(t.store.schema)}.processor_checkpoints WHERE processor = $1`,
        ['with-checkpoint'],
      );
      expect(stored.rows[0]?.checkpoint).toBe(p.checkpoint);
    },
  );

  it.skipIf(!engine.available)('rejects an unknown delivery mode', () => {
    expect(() =>
      createProcessor({
        store: t.store,
        name: 'x',
        handle: () => undefined,
        delivery: 'twice' as unknown as 'at-least-once',
      }),
    ).toThrow(/delivery/);
  });
});
