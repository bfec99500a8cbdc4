/**
 * The global log under real concurrency: transactions that commit out of
 * sequence order, readers that poll while they do, and concurrent migrations.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createEventStore, type EventStore, type StoredEvent } from '../../src/index.js';
import { migrations as storeMigrations } from '../../src/store/sql/index.generated.js';
import {
  pgliteEngine,
  postgresEngine,
  postgresUrl,
  uniqueSchema,
  type TestDatabase,
} from '../support/databases.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!postgresEngine.available)('global log on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    db = await postgresEngine.open();
    // Eight flushes in flight at once: eight transactions open together.
    // Small flushes spread over many slots (minSplitSize 1): transactions that overlap and
    // commit out of position order are what these tests are about.
    store = createEventStore({
      sql: db.sql,
      schema: db.schema,
      maxConcurrentFlushes: 8,
      maxBatch: 4,
      minSplitSize: 1,
    });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
  });

  it('with 8 writers holding transactions open for random times, a polling reader sees every event exactly once, in commit order', async () => {
    // Every transaction sleeps a random time before COMMIT, so positions taken
    // early often commit late — exactly what a naive "position > checkpoint" reader skips.
    const removeHook = store.addInlineHook({
      name: 'random-delay',
      apply: () => sleep(Math.random() * 25).then(() => undefined),
    });
    const seen: StoredEvent[] = [];
    let checkpoint: string | undefined;
    let writing = true;
    const reader = (async () => {
      while (writing || checkpoint !== (await store.headCheckpoint())) {
        const page = await store.readAll({ ...(checkpoint ? { after: checkpoint } : {}), limit: 50 });
        seen.push(...page.events);
        checkpoint = page.checkpoint;
        if (page.events.length === 0) await sleep(2);
      }
    })();
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 40; i++) {
        await store.append(`writer-${w}`, [{ type: 'tick', data: { w, i } }], { expectedVersion: i });
      }
    });
    await Promise.all(writers);
    writing = false;
    await reader;
    removeHook();

    const all = await store.readAll({ limit: 10_000 });
    expect(all.events).toHaveLength(320);
    expect(seen.map((e) => e.id)).toEqual(all.events.map((e) => e.id));
    expect(new Set(seen.map((e) => e.id)).size).toBe(320);
    // Positions really were committed out of order (otherwise the test proves nothing)…
    const positions = seen.map((e) => e.globalPosition);
    expect(positions.some((p, i) => i > 0 && p < positions[i - 1]!)).toBe(true);
    // …yet each writer's events arrive in their version order.
    for (let w = 0; w < 8; w++) {
      const mine = seen.filter((e) => e.aggregateId === `writer-${w}`).map((e) => e.version);
      expect(mine).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
  });

  it('holds readers back behind an open transaction and reports the lag', async () => {
    const before = await store.headCheckpoint();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const removeHook = store.addInlineHook({
      name: 'gate',
      async apply({ events }) {
        if (!events.some((e) => e.aggregateId === 'slow')) return;
        entered();
        await gate;
      },
    });
    const slow = store.append('slow', [{ type: 'slow', data: {} }]);
    await inside; // the slow transaction has written and is now held open
    const fast = await store.append('fast', [{ type: 'fast', data: {} }]);
    // The fast append committed, but the slow one took an earlier transaction id and is still open.
    expect((await store.readAll({ after: before })).events).toHaveLength(0);
    const lag = await store.readerLag();
    expect(lag.heldBackEvents).toBeGreaterThanOrEqual(1);
    expect(lag.oldestOpenTransactionMs).not.toBeNull();
    release();
    await slow;
    removeHook();
    const after = await store.readAll({ after: before });
    expect(after.events.map((e) => e.aggregateId)).toEqual(['slow', 'fast']);
    expect(after.checkpoint).toBe(fast.checkpoint);
  });

  it('delivers live events to a subscriber through LISTEN/NOTIFY from another process', async () => {
    const url = postgresUrl()!;
    const otherPool = new pg.Pool({ connectionString: url, max: 2 });
    const other = createEventStore({ sql: fromPg(otherPool), schema: db.schema });
    try {
      const head = await store.headCheckpoint();
      // A long poll interval: only a notification can deliver this in time.
      const received = new Promise<StoredEvent>((resolve) => {
        const sub = store.subscribe({ after: head, pollIntervalMs: 60_000 }).subscribe((e) => {
          sub.unsubscribe();
          resolve(e);
        });
      });
      await sleep(100);
      await other.append('remote', [{ type: 'remote', data: { from: 'other process' } }]);
      const event = await Promise.race([received, sleep(10_000).then(() => null)]);
      expect(event?.aggregateId).toBe('remote');
    } finally {
      await other.close();
      await otherPool.end();
    }
  });
});

describe.each([pgliteEngine, postgresEngine].filter((e) => e.available))(
  'concurrent migrate() on $name',
  (engine) => {
    it('migrates once when several stores migrate at the same time', async () => {
      const db = await engine.open();
      const schema = uniqueSchema();
      const pools: pg.Pool[] = [];
      try {
        const stores = Array.from({ length: 4 }, () => {
          if (engine.name === 'pglite') return createEventStore({ sql: db.sql, schema });
          const pool = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
          pools.push(pool);
          return createEventStore({ sql: fromPg(pool), schema });
        });
        await Promise.all(stores.map((s) => s.migrate()));
        const { rows } = await db.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".schema_migrations WHERE component = 'store'`,
        );
        // One row per migration: each ran exactly once.
        expect(rows[0]?.n).toBe(storeMigrations.length);
        await stores[0]!.append('s', [{ type: 't', data: {} }]);
        expect((await stores[3]!.readStream('s')).version).toBe(1);
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await db.sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await Promise.all(pools.map((p) => p.end()));
        await db.close();
      }
    });

    it('refuses a schema newer than the library', async () => {
      const db = await engine.open();
      try {
        const store = createEventStore({ sql: db.sql, schema: db.schema });
        await store.migrate();
        await db.sql.query(
          `INSERT INTO "${db.schema}".schema_migrations (component, version, name) VALUES ('store', 99, 'future')`,
        );
        await expect(store.migrate()).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
        await store.close();
      } finally {
        await db.close();
      }
    });
  },
);
