/**
 * An at-least-once processor defers its checkpoint: a batch whose handler
 * sends no write with it (`ctx.withCheckpoint`) moves the position, and the
 * stored checkpoint follows at stop, after `skippedCheckpointMs`, once
 * `batchSize` handled events wait, or with the next write fenced on it. Before,
 * a handler that decided nothing still cost an `UPDATE` a batch. A restart
 * after stop resumes where the processor was; a crash delivers again what was
 * handled since the stored checkpoint, and nothing before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { quoteIdent, type SqlClient } from '../../src/core/sql-client.js';
import { createProcessor, type Processor, type ProcessorOptions } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';
import { appendMany } from './support.js';

const CHECKPOINT_UPDATE = /^\s*UPDATE\s[^;]*processor_checkpoints/;

/** The SQL port counting checkpoint updates, failing them while `fail()` says so. */
function checkpointUpdates(sql: SqlClient, fail: () => boolean = () => false) {
  let count = 0;
  const client = interceptSql(
    sql,
    (text, _params, next) => {
      if (!CHECKPOINT_UPDATE.test(text)) return next();
      if (fail()) return Promise.reject(new Error('connection lost before the checkpoint was saved'));
      count++;
      return next();
    },
    { inTransactions: true },
  );
  return { sql: client, count: () => count };
}

describe.each(sqlEngines)('deferred at-least-once checkpoints, on $name', (engine) => {
  let db: TestDatabase | undefined;
  const opened: EventStore[] = [];
  const started: Processor[] = [];

  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop();
    for (const s of opened.splice(0)) await s.close();
    await db?.close();
    db = undefined;
  });

  const openStore = (sql: SqlClient) => {
    const store = createEventStore({ sql, schema: db!.schema, pollIntervalMs: 200 });
    opened.push(store);
    return store;
  };
  const stored = async (): Promise<string | undefined> => {
    const { rows } = await db!.sql.query<{ checkpoint: string }>(
      `SELECT checkpoint FROM ${quoteIdent(db!.schema)}.processor_checkpoints WHERE processor = 'quiet'`,
    );
    return rows[0]?.checkpoint;
  };
  /** A processor whose handler writes nothing, counting deliveries per position. */
  const start = async (
    store: EventStore,
    seen: Map<number, number>,
    extra: Omit<Partial<ProcessorOptions>, 'handle'> = {},
  ) => {
    const p = createProcessor({
      store,
      name: 'quiet',
      delivery: 'at-least-once',
      eventTypes: ['test.happened'],
      skippedCheckpointMs: 600_000,
      ...(extra.handleBatch
        ? {}
        : {
            handle: (event: StoredEvent) => {
              seen.set(event.globalPosition, (seen.get(event.globalPosition) ?? 0) + 1);
            },
          }),
      ...extra,
    });
    started.push(p);
    await p.start();
    return p;
  };

  it.skipIf(!engine.available)(
    'handled batches store no checkpoint until stop; a restart resumes, a crash re-delivers only the unstored',
    async () => {
      db = await engine.open();
      const counted = checkpointUpdates(db.sql);
      const store = openStore(counted.sql);
      await store.migrate();
      await appendMany(store, 'order-1', 3);

      const seen = new Map<number, number>();
      const first = await start(store, seen);
      await first.whenCaughtUp({ timeoutMs: 20_000 });
      // Seven more batches, one event each.
      for (let i = 0; i < 7; i++) {
        await appendMany(store, `order-${i + 2}`, 1);
        await first.whenCaughtUp({ timeoutMs: 20_000 });
      }
      expect(seen.size).toBe(10);
      expect(counted.count()).toBe(0); // was one a batch: 8
      const position = first.checkpoint;
      await first.stop();
      expect(counted.count()).toBe(1); // stop stores it
      expect(await stored()).toBe(position);

      // A restart resumes there: nothing is delivered twice.
      const second = await start(store, seen);
      await appendMany(store, 'order-20', 2);
      await second.whenCaughtUp({ timeoutMs: 20_000 });
      await second.stop();
      expect(seen.size).toBe(12);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      const beforeCrash = await stored();

      // An instance that crashes (its stop's save never lands) re-delivers only what it handled.
      let failing = true;
      const dying = checkpointUpdates(db.sql, () => failing);
      const crashed = await start(openStore(dying.sql), seen);
      await appendMany(store, 'order-30', 2);
      await crashed.whenCaughtUp({ timeoutMs: 20_000 });
      await crashed.stop();
      failing = false;
      expect(await stored()).toBe(beforeCrash);
      expect(seen.size).toBe(14);

      const next = await start(store, seen);
      await next.whenCaughtUp({ timeoutMs: 20_000 });
      const twice = [...seen].filter(([, n]) => n === 2).map(([position]) => position);
      expect(twice).toHaveLength(2); // the crashed instance's two events, nothing before them
      expect([...seen].filter(([, n]) => n > 2)).toEqual([]);
      expect(Math.min(...twice)).toBeGreaterThan(
        Math.max(...[...seen].filter(([, n]) => n === 1).map(([p]) => p)),
      );
    },
  );

  it.skipIf(!engine.available)(
    'stores it once batchSize handled events wait, and with a write sent through ctx.withCheckpoint',
    async () => {
      db = await engine.open();
      const counted = checkpointUpdates(db.sql);
      const store = openStore(counted.sql);
      await store.migrate();
      const seen = new Map<number, number>();
      const p = await start(store, seen, { batchSize: 4 });
      // Three one-event batches wait; the fourth event reaches batchSize and stores the checkpoint.
      for (let i = 0; i < 4; i++) {
        await appendMany(store, `order-${i}`, 1);
        await p.whenCaughtUp({ timeoutMs: 20_000 });
      }
      expect(counted.count()).toBe(1);
      expect(await stored()).toBe(p.checkpoint);
      await p.stop();

      // A handler that writes with the checkpoint stores it every batch, past the deferred ones too.
      let write = false;
      const writer = await start(store, seen, {
        handleBatch: async (events, ctx) => {
          for (const e of events) seen.set(e.globalPosition, (seen.get(e.globalPosition) ?? 0) + 1);
          if (write) await ctx.withCheckpoint!('SELECT 1 AS one', []);
        },
      });
      await appendMany(store, 'order-10', 1);
      await writer.whenCaughtUp({ timeoutMs: 20_000 });
      const before = counted.count();
      write = true;
      await appendMany(store, 'order-11', 1);
      await writer.whenCaughtUp({ timeoutMs: 20_000 });
      expect(counted.count()).toBe(before); // the write carried the checkpoint (a data-modifying WITH)
      expect(await stored()).toBe(writer.checkpoint);
    },
  );
});

describe('deferred at-least-once checkpoints, in memory', () => {
  it('stop stores the deferred checkpoint (no lease there): a restart delivers nothing twice', async () => {
    const store = createEventStore();
    await store.migrate();
    const seen = new Map<number, number>();
    const run = async () => {
      const p = createProcessor({
        store,
        name: 'quiet',
        delivery: 'at-least-once',
        eventTypes: ['test.happened'],
        skippedCheckpointMs: 600_000,
        handle: (event: StoredEvent) => {
          seen.set(event.globalPosition, (seen.get(event.globalPosition) ?? 0) + 1);
        },
      });
      await p.start();
      return p;
    };
    try {
      const first = await run();
      for (let i = 0; i < 3; i++) {
        await appendMany(store, `order-${i}`, 1);
        await first.whenCaughtUp({ timeoutMs: 20_000 });
      }
      await first.stop();
      const second = await run();
      await appendMany(store, 'order-9', 1);
      await second.whenCaughtUp({ timeoutMs: 20_000 });
      await second.stop();
      expect(seen.size).toBe(4);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
