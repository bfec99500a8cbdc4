/**
 * Inline applies lock the rows they touch, not the whole projection or
 * tenant, on real PostgreSQL: a flush that holds some rows does not hold back
 * flushes on other rows, flushes on shared rows still lose no update, a set's
 * rebuild under concurrent appends ends where a quiet rebuild does,
 * concurrent flushes on one row fold in log order, and a flush takes its
 * locks in one statement per table it touches.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/row-change.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import {
  createProjection,
  createProjectionSet,
  defineProjection,
  rowChangeOf,
  rowEventType,
  type Projection,
  type ProjectionDefinition,
  type ProjectionSet,
} from '../../src/processing/index.js';
import { rowLocks, type AdvisoryLock } from '../../src/processing/projection/advisory-locks.js';
import { projectionLockKey } from '../../src/processing/projection/table-names.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';
import { postgresEngine, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';
import { waitFor } from '../support/wait.js';
import { stockLevels, type StockRow } from './fixtures/projections.js';

interface Sale {
  shopId: string;
  orderId: string;
  total: number;
  /** Test only: the gate hook holds this append's transaction open. */
  hold?: boolean;
}

const saleOf = (e: StoredEvent) => e.data as Sale;

const orders = defineProjection({
  name: 'rl_orders',
  key: ['shop_id', 'order_id'],
  migrations: [
    'CREATE TABLE :TABLE: (shop_id text, order_id text, total int NOT NULL, lines int NOT NULL, PRIMARY KEY (shop_id, order_id))',
  ],
  handlers: {
    'sale.line_added': {
      key: (e) => ({ shop_id: saleOf(e).shopId, order_id: saleOf(e).orderId }),
      apply: (row, e) => ({
        total: Number(row?.['total'] ?? 0) + saleOf(e).total,
        lines: Number(row?.['lines'] ?? 0) + 1,
      }),
    },
  },
});

/** The shop of the order a `row:rl_orders` change is about: the row the shop tables fold it into. */
const shopOfChangedOrder = (e: StoredEvent) => ({ shop_id: String(rowChangeOf(e).key['shop_id']) });

/** Per shop, folded from the orders' row changes: every change of a shop's orders touches its one row. */
const revenue = defineProjection({
  name: 'rl_revenue',
  key: ['shop_id'],
  migrations: ['CREATE TABLE :TABLE: (shop_id text PRIMARY KEY, revenue int NOT NULL, lines int NOT NULL)'],
  handlers: {
    [rowEventType('rl_orders')]: {
      key: shopOfChangedOrder,
      apply: (row, e) => {
        const { oldRow, newRow } = rowChangeOf(e);
        const total = (r: Row | null) => Number(r?.['total'] ?? 0);
        return {
          revenue: Number(row?.['revenue'] ?? 0) + total(newRow) - total(oldRow),
          lines: Number(row?.['lines'] ?? 0) + 1,
        };
      },
    },
  },
});

/** Per shop, the last order a line was added to: the fold's result depends on the order of events. */
const lastOrder = defineProjection({
  name: 'rl_last',
  key: ['shop_id'],
  migrations: ['CREATE TABLE :TABLE: (shop_id text PRIMARY KEY, last_order text NOT NULL)'],
  handlers: {
    'sale.line_added': {
      key: (e) => ({ shop_id: saleOf(e).shopId }),
      apply: (_row, e) => ({ last_order: saleOf(e).orderId }),
    },
  },
});

/** Per shop, the order whose row changed last (folded from rl_orders' row changes): order-dependent too. */
const lastChanged = defineProjection({
  name: 'rl_last_changed',
  key: ['shop_id'],
  migrations: ['CREATE TABLE :TABLE: (shop_id text PRIMARY KEY, order_id text NOT NULL)'],
  handlers: {
    [rowEventType('rl_orders')]: {
      key: shopOfChangedOrder,
      apply: (_row, e) => ({ order_id: String(rowChangeOf(e).key['order_id']) }),
    },
  },
});

function line(shopId: string, orderId: string, total: number, hold = false) {
  return { type: 'sale.line_added', data: { shopId, orderId, total, ...(hold ? { hold } : {}) } };
}

/** A client that records the statements of each transaction run through it. */
function recordingSql(inner: SqlClient, transactions: string[][]): SqlClient {
  return {
    ...interceptSql(inner, (_text, _params, next) => next()),
    transaction: (fn) =>
      inner.transaction((tx) => {
        const statements: string[] = [];
        transactions.push(statements);
        return fn({
          query: (text, params, options) => {
            statements.push(text);
            return tx.query(text, params, options);
          },
          exec: (text) => tx.exec(text),
        });
      }),
  };
}

/**
 * An inline hook, run after the projections' (added later), that holds the
 * transaction of an append marked `hold` open until `release()`.
 */
function gate(store: EventStore) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding = false;
  const remove = store.addInlineHook({
    name: 'test_gate',
    apply: async ({ events }) => {
      if (!events.some((e) => (e.data as Partial<Sale>).hold)) return;
      holding = true;
      await released;
    },
  });
  return { release, remove, holding: () => holding };
}

describe.skipIf(!postgresEngine.available)('inline row locks on postgres', () => {
  let db: TestDatabase;
  let store: EventStore;
  let transactions: string[][];
  const stoppers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    db = await postgresEngine.open();
    transactions = [];
    store = createEventStore({
      sql: recordingSql(db.sql, transactions),
      schema: db.schema,
      pollIntervalMs: 200,
    });
    await store.migrate();
  });
  afterEach(async () => {
    for (const stop of stoppers.splice(0)) await stop();
    await store.close();
    await db.close();
  });

  const openSet = async (name = 'rl_shop', tenantOf?: (e: StoredEvent) => string): Promise<ProjectionSet> => {
    const set = createProjectionSet({
      store,
      name,
      definitions: [orders, revenue],
      // One tenant for every shop, as the commerce read models have one creator per deployment.
      tenantOf: tenantOf ?? (() => 'one-tenant'),
    });
    await set.start();
    stoppers.push(() => set.stop());
    return set;
  };
  /** Backends of this database waiting for a row lock (the statement that takes them). */
  /**
   * Backends waiting for a row lock; with `blockedBy`, only those that session holds back
   * (other test files share the database, and their flushes wait on row locks too).
   */
  const rowLockWaiters = async (blockedBy?: number) => {
    const { rows } =
      blockedBy === undefined
        ? await db.sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event = 'advisory' AND query LIKE '%hashtextextended%'`,
          )
        : await db.sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))`,
            [blockedBy],
          );
    return rows[0]!.n;
  };
  const openProjection = async (): Promise<Projection<StockRow>> => {
    const projection = createProjection({ store, definition: stockLevels('inline', 'rl_stock') });
    await projection.start();
    stoppers.push(() => projection.stop());
    return projection;
  };

  /** Another host: a store of its own on the same schema, whose flushes run beside this one's. */
  const secondHost = (): EventStore => {
    const second = createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 200 });
    stoppers.push(() => second.close());
    return second;
  };
  /** A set (one tenant) started on this host and on `second`; returns this host's. */
  const openOnBoth = async (second: EventStore, name: string, definitions: ProjectionDefinition[]) => {
    const sets: ProjectionSet[] = [];
    for (const on of [store, second]) {
      const set = createProjectionSet({ store: on, name, definitions, tenantOf: () => 't' });
      await set.start();
      stoppers.push(() => set.stop());
      sets.push(set);
    }
    return sets[0]!;
  };
  /**
   * Another session holding row locks (by name) until `release()`; resolves once they are
   * held, with its backend's `pid`.
   */
  const holdRows = async (locks: readonly AdvisoryLock[], what: string) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    let pid = 0;
    const done = db.sql.transaction(async (tx) => {
      pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
      for (const lock of locks)
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lock.name]);
      holding = true;
      await released;
    });
    try {
      await waitFor(() => holding, { what });
    } catch (err) {
      release();
      throw err;
    }
    return { release, done, pid };
  };

  it('a flush holding rows of a projection and a set does not hold back flushes on other rows', async () => {
    const projection = await openProjection();
    const set = await openSet();
    const g = gate(store);
    stoppers.push(async () => g.remove());
    // One append holds its transaction open with the rows of sku a and of order o1 of shop s1 locked…
    const held = store.append('held', [
      { type: 'stock.set', data: { sku: 'a', warehouse: 'w', quantity: 1 } },
      line('s1', 'o1', 5, true),
    ]);
    try {
      await waitFor(g.holding, { what: 'the held append inside its transaction' });
      // …while appends on other rows of the same projection, tenant and tables commit
      // (with a lock of the whole projection or tenant they would wait for it).
      let otherDone = false;
      const other = store
        .append('other', [
          { type: 'stock.set', data: { sku: 'b', warehouse: 'w', quantity: 2 } },
          line('s2', 'o2', 7),
        ])
        .then(() => (otherDone = true));
      await waitFor(() => otherDone, { timeoutMs: 20_000, what: 'the append on other rows' });
      await other;
      expect(await projection.find({ sku: 'b', warehouse: 'w' })).toMatchObject({ on_hand: 2 });
      expect(await projection.find({ sku: 'a', warehouse: 'w' })).toBeNull();
      expect(await set.unscopedFind('rl_orders', { shop_id: 's2', order_id: 'o2' })).toMatchObject({
        total: 7,
      });
      // An append on a held row waits for its lock, then applies on top of the held
      // append (without the lock it would read no row a, and skip its adjustment).
      const same = store.append('same', [
        { type: 'stock.adjusted', data: { sku: 'a', warehouse: 'w', quantity: 10 } },
      ]);
      await waitFor(async () => (await rowLockWaiters()) > 0, { what: 'the append on a held row waiting' });
      g.release();
      await Promise.all([held, same]);
    } finally {
      g.release();
    }
    expect(await projection.find({ sku: 'a', warehouse: 'w' })).toMatchObject({ on_hand: 11, updates: 2 });
    expect(await set.unscopedRows('rl_revenue')).toEqual([
      { shop_id: 's1', revenue: 5, lines: 1 },
      { shop_id: 's2', revenue: 7, lines: 1 },
    ]);
  }, 60_000);

  it('concurrent flushes on shared and distinct rows lose no update', async () => {
    const projection = await openProjection();
    const set = await openSet();
    await store.append('seed', [
      { type: 'stock.set', data: { sku: 'hot', warehouse: 'w', quantity: 0 } },
      { type: 'stock.set', data: { sku: 'cold', warehouse: 'w', quantity: 0 } },
    ]);
    // 80 appends on distinct streams, over every flush slot at once: a hot row and a
    // cold one of the projection; orders o0..o4 of shops s0..s2 (one revenue row each).
    await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        store.append(`adjust-${i}`, [
          {
            type: 'stock.adjusted',
            data: { sku: i % 4 === 0 ? 'cold' : 'hot', warehouse: 'w', quantity: 1 },
          },
          line(`s${i % 3}`, `o${i % 5}`, i),
        ]),
      ),
    );
    expect(await projection.find({ sku: 'hot', warehouse: 'w' })).toMatchObject({ on_hand: 60, updates: 61 });
    expect(await projection.find({ sku: 'cold', warehouse: 'w' })).toMatchObject({
      on_hand: 20,
      updates: 21,
    });
    const expected = [0, 1, 2].map((s) => {
      const mine = Array.from({ length: 80 }, (_, i) => i).filter((i) => i % 3 === s);
      return { shop_id: `s${s}`, revenue: mine.reduce((a, i) => a + i, 0), lines: mine.length };
    });
    expect(await set.unscopedRows('rl_revenue')).toEqual(expected);
    const lines = (await set.unscopedRows('rl_orders')).reduce((a, r) => a + Number(r['lines']), 0);
    expect(lines).toBe(80);
  }, 60_000);

  it("a set's rebuild under concurrent appends ends where a quiet rebuild does", async () => {
    const set = await openSet();
    for (let i = 0; i < 30; i++) await store.append(`pre-${i}`, [line(`s${i % 3}`, `o${i % 4}`, i)]);
    let stop = false;
    let n = 0;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      while (!stop) {
        const i = n++;
        await store.append(`during-${w}-${i}`, [line(`s${i % 3}`, `o${i % 4}`, i)]);
      }
    });
    try {
      await set.rebuild({ batchSize: 7 });
      // Appends went on after the rebuild's transaction too.
      const after = n;
      await waitFor(() => n >= after + 8, { what: 'appends after the rebuild' });
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    const live = {
      orders: await set.unscopedRows('rl_orders'),
      revenue: await set.unscopedRows('rl_revenue'),
    };
    expect(live.orders.reduce((a, r) => a + Number(r['lines']), 0)).toBe(30 + n);
    await set.rebuild();
    expect({
      orders: await set.unscopedRows('rl_orders'),
      revenue: await set.unscopedRows('rl_revenue'),
    }).toEqual(live);
  }, 120_000);

  it('concurrent flushes on one row fold in log order, as a rebuild does', async () => {
    // Two hosts: each store flushes on its own, with its own projection and set.
    const second = secondHost();
    const stockDef = stockLevels('inline', 'rl_stock');
    const open = async (on: EventStore) => {
      const projection = createProjection({ store: on, definition: stockDef });
      const set = createProjectionSet({
        store: on,
        name: 'rl_last',
        definitions: [lastOrder],
        tenantOf: () => 't',
      });
      await projection.start();
      await set.start();
      stoppers.push(
        () => set.stop(),
        () => projection.stop(),
      );
      return { projection, set };
    };
    const { projection, set } = await open(store);
    await open(second);
    // Another session holds the rows of sku a and of shop s0, which sort before b and s1.
    const held = [
      ...rowLocks(projectionLockKey(db.schema, stockDef), stockDef.key, [{ sku: 'a', warehouse: 'w' }]),
      ...rowLocks(`creatorflow.read_models:${db.schema}.rl_last.rl_last`, ['shop_id'], [{ shop_id: 's0' }]),
    ];
    const other = await holdRows(held, 'the other session holding rows a and s0');
    try {
      // A touches a, b, s0 and s1, and waits for a; B touches b and s1 meanwhile.
      const first = store.append('first', [
        { type: 'stock.set', data: { sku: 'a', warehouse: 'w', quantity: 1 } },
        { type: 'stock.set', data: { sku: 'b', warehouse: 'w', quantity: 1 } },
        line('s0', 'first', 1),
        line('s1', 'first', 1),
      ]);
      await waitFor(async () => (await rowLockWaiters(other.pid)) > 0, {
        what: 'the first append waiting for row a',
      });
      await second.append('second', [
        { type: 'stock.set', data: { sku: 'b', warehouse: 'w', quantity: 2 } },
        line('s1', 'second', 2),
      ]);
      other.release();
      await other.done;
      await first;
    } finally {
      other.release();
    }
    // Whichever came first in the log, the rows hold the later one's values.
    const { events } = await store.readAll({ limit: 100 });
    const lastOf = (type: string, match: (d: Record<string, unknown>) => boolean) =>
      events.filter((e) => e.type === type && match(e.data as Record<string, unknown>)).at(-1)!
        .data as Record<string, unknown>;
    expect(await projection.find({ sku: 'b', warehouse: 'w' })).toMatchObject({
      on_hand: lastOf('stock.set', (d) => d['sku'] === 'b')['quantity'],
    });
    expect(await set.unscopedFind('rl_last', { shop_id: 's1' })).toMatchObject({
      last_order: lastOf('sale.line_added', (d) => d['shopId'] === 's1')['orderId'],
    });
  }, 60_000);

  it('flushes reaching one row of a table that folds row changes fold it in log order', async () => {
    const second = secondHost();
    const set = await openOnBoth(second, 'rl_changes', [orders, lastChanged]);
    // Another session holds shop s0's row of rl_last_changed, which sorts before s1's.
    const other = await holdRows(
      rowLocks(
        `creatorflow.read_models:${db.schema}.rl_changes.rl_last_changed`,
        ['shop_id'],
        [{ shop_id: 's0' }],
      ),
      'the other session holding row s0',
    );
    try {
      // The first reaches s0 and s1 through orders of its own, and waits for s0; the
      // second reaches s1 through another order meanwhile: no order row in common.
      const first = store.append('first', [line('s0', 'first', 1), line('s1', 'first', 1)]);
      await waitFor(async () => (await rowLockWaiters(other.pid)) > 0, {
        what: 'the first append waiting for row s0',
      });
      await second.append('second', [line('s1', 'second', 2)]);
      other.release();
      await other.done;
      await first;
    } finally {
      other.release();
    }
    const { events } = await store.readAll({ limit: 100 });
    const lastS1 = events.filter((e) => e.type === 'sale.line_added' && saleOf(e).shopId === 's1').at(-1)!;
    expect(await set.unscopedFind('rl_last_changed', { shop_id: 's1' })).toMatchObject({
      order_id: saleOf(lastS1).orderId,
    });
  }, 60_000);

  it('a flush whose connection is cut while it waits for a row before its write leaves nothing half done', async () => {
    const set = await openOnBoth(secondHost(), 'rl_cut', [orders, lastChanged]);
    const other = await holdRows(
      rowLocks(
        `creatorflow.read_models:${db.schema}.rl_cut.rl_last_changed`,
        ['shop_id'],
        [{ shop_id: 's0' }],
      ),
      'the other session holding row s0',
    );
    let outcome: Promise<unknown>;
    try {
      outcome = store.append('cut', [line('s0', 'cut', 1)]).then(
        () => 'stored',
        (err: unknown) => err,
      );
      await waitFor(async () => (await rowLockWaiters(other.pid)) > 0, {
        what: 'the append waiting for row s0',
      });
      // Its backend is cut where it waits: before append_batch, inside the flush's transaction.
      const { rows } = await db.sql.query<{ cut: boolean }>(
        `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))`,
        [other.pid],
      );
      expect(rows.map((r) => r.cut)).toEqual([true]);
    } finally {
      other.release();
      await other.done;
    }
    const result = await outcome;
    const stored = (await store.readStream('cut')).events;
    // Nothing was written when the connection went: the store runs the flush again, and the
    // event is there once, the tables holding exactly what the log holds.
    expect(result).toBe('stored');
    expect(stored).toHaveLength(1);
    const live = {
      orders: await set.unscopedRows('rl_orders'),
      changed: await set.unscopedRows('rl_last_changed'),
    };
    expect(live.orders).toHaveLength(stored.length);
    await set.rebuild();
    expect({
      orders: await set.unscopedRows('rl_orders'),
      changed: await set.unscopedRows('rl_last_changed'),
    }).toEqual(live);
    // The store goes on.
    await store.append('after', [line('s0', 'after', 1)]);
    expect(await set.unscopedFind('rl_last_changed', { shop_id: 's0' })).toMatchObject({ order_id: 'after' });
  }, 60_000);

  it('two hosts appending at once on shared rows end equal to a rebuild, order-dependent folds included', async () => {
    const second = secondHost();
    const set = await openOnBoth(second, 'rl_hosts', [lastOrder, orders, lastChanged, revenue]);
    // Four writers a host; each append touches two of three shops through orders of five.
    let n = 0;
    const writers = [store, second].flatMap((host, h) =>
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 25; i++) {
          const k = n++;
          await host.append(`hosts-${h}-${w}-${i}`, [
            line(`s${k % 3}`, `o${k % 5}`, k),
            line(`s${(k + 1) % 3}`, `o${(k + 2) % 5}`, 1),
          ]);
        }
      }),
    );
    await Promise.all(writers);
    const tables = ['rl_last', 'rl_orders', 'rl_last_changed', 'rl_revenue'];
    const snapshot = async () =>
      Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await set.unscopedRows(t)] as const)));
    const live = await snapshot();
    expect(live['rl_orders']!.reduce((a, r) => a + Number(r['lines']), 0)).toBe(400);
    await set.rebuild();
    expect(await snapshot()).toEqual(live);
  }, 120_000);

  it('a handler that cannot fold an event not yet written still folds it after the write', async () => {
    // Its version is known only once written: the fold before the write gives up on it.
    const picky = defineProjection({
      name: 'rl_picky',
      key: ['shop_id'],
      migrations: ['CREATE TABLE :TABLE: (shop_id text PRIMARY KEY, version int NOT NULL)'],
      handlers: {
        [rowEventType('rl_orders')]: {
          key: shopOfChangedOrder,
          apply: (_row, e) => {
            if (e.version === 0) throw new Error('needs the written event');
            return { version: e.version };
          },
        },
      },
    });
    const set = createProjectionSet({ store, name: 'rl_picky_set', definitions: [orders, picky] });
    await set.start();
    stoppers.push(() => set.stop());
    await store.append('picky', [line('s1', 'o1', 1), line('s1', 'o2', 2)]);
    expect(await set.unscopedFind('rl_picky', { shop_id: 's1' })).toMatchObject({ version: 2 });
    expect(await set.unscopedRows('rl_orders')).toHaveLength(2);
  }, 60_000);

  it("a read failing before the write fails the append with the database's error", async () => {
    const set = createProjectionSet({ store, name: 'rl_broken', definitions: [orders, lastChanged] });
    await set.start();
    stoppers.push(() => set.stop());
    await db.sql.query(`DROP TABLE "${db.schema}"."rl_orders"`);
    await expect(store.append('broken', [line('s1', 'o1', 1)])).rejects.toThrow(/rl_orders.*does not exist/);
    expect((await store.readStream('broken')).events).toHaveLength(0);
  }, 60_000);

  it('a flush takes its locks in one statement per table it touches, whatever its tenants', async () => {
    await openSet('rl_shop', (e) => saleOf(e).shopId);
    await openProjection();
    transactions.length = 0;
    // Three shops, two tables of the set and one projection in one flush.
    await store.append('many', [
      line('s1', 'o1', 1),
      line('s2', 'o2', 2),
      line('s3', 'o3', 3),
      { type: 'stock.set', data: { sku: 'a', warehouse: 'w', quantity: 1 } },
    ]);
    const flush = transactions.find((statements) => statements.some((s) => s.includes('append_batch')));
    expect(flush).toBeDefined();
    const locks = flush!.filter((s) => /pg_advisory/.test(s));
    // The set: rl_orders (with the set's and tenants' locks) and rl_revenue; the projection: one.
    expect(locks).toHaveLength(3);
  }, 60_000);
});
