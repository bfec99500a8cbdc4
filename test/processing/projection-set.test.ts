/**
 * The projection set primitive on memory, PGlite and PostgreSQL: a later
 * table folds an earlier one's row changes, rows are locked per tenant (no
 * update lost under concurrent appends), guards refuse appends, `select`
 * scopes by tenant, a rebuild replays the log to the same rows, and async
 * mode catches up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/row-change.js';
import {
  createProjectionSet,
  defineProjection,
  rowChangeOf,
  rowEventType,
  type ProjectionSet,
  type ProjectionSetOptions,
} from '../../src/processing/index.js';
import type { StoredEvent } from '../../src/store/types.js';
import { storeEngines, type TestStore } from './support.js';

interface Sale {
  shopId: string;
  orderId: string;
  total: number;
}

const saleOf = (e: StoredEvent) => e.data as Sale;
const orderKey = (e: StoredEvent) => ({ shop_id: saleOf(e).shopId, order_id: saleOf(e).orderId });

const orders = defineProjection({
  name: 'ps_orders',
  key: ['shop_id', 'order_id'],
  migrations: [
    'CREATE TABLE :TABLE: (shop_id text, order_id text, total int NOT NULL, refunded boolean NOT NULL, PRIMARY KEY (shop_id, order_id))',
  ],
  handlers: {
    'sale.placed': { key: orderKey, apply: (_row, e) => ({ total: saleOf(e).total, refunded: false }) },
    'sale.refunded': { key: orderKey, apply: (row) => (row ? { refunded: true } : undefined) },
  },
});

const counted = (row: Row | null) => (row && !row['refunded'] ? Number(row['total']) : 0);
const revenue = defineProjection<{ shop_id: string; revenue: number; orders: number }>({
  name: 'ps_revenue',
  key: ['shop_id'],
  migrations: ['CREATE TABLE :TABLE: (shop_id text PRIMARY KEY, revenue int NOT NULL, orders int NOT NULL)'],
  handlers: {
    [rowEventType('ps_orders')]: {
      key: (e) => ({ shop_id: String(rowChangeOf(e).key['shop_id']) }),
      apply: (row, e) => {
        const { oldRow, newRow } = rowChangeOf(e);
        return {
          revenue: (row?.revenue ?? 0) - counted(oldRow) + counted(newRow),
          orders: (row?.orders ?? 0) + (oldRow === null ? 1 : 0),
        };
      },
    },
  },
});

const byShop = (e: StoredEvent) => saleOf(e).shopId;

function sale(type: 'sale.placed' | 'sale.refunded', shopId: string, orderId: string, total = 0) {
  return { type, data: { shopId, orderId, total } };
}

describe.each(storeEngines)('projection set on $name', (engine) => {
  let t: TestStore;
  let sets: ProjectionSet[];

  const open = async (options: Partial<ProjectionSetOptions> = {}) => {
    const set = createProjectionSet({
      store: t.store,
      name: 'ps_shop',
      definitions: [orders, revenue],
      tenantOf: byShop,
      ...options,
    });
    sets.push(set);
    await set.start();
    return set;
  };

  beforeEach(async () => {
    if (!engine.available) return;
    t = await engine.open();
    sets = [];
  });
  afterEach(async () => {
    if (!engine.available) return;
    for (const set of sets) await set.stop();
    await t.close();
  });

  it.skipIf(!engine.available)(
    'folds the earlier table’s row changes and loses no update under concurrent appends',
    async () => {
      const set = await open();
      const changes: string[] = [];
      set.changesOf('ps_revenue').subscribe((c) => changes.push(c.operation));
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          t.store.append(`order-${i}`, [sale('sale.placed', i % 2 === 0 ? 's1' : 's2', `o${i}`, 10)]),
        ),
      );
      await t.store.append('order-0', [sale('sale.refunded', 's1', 'o0')]);
      expect(await set.unscopedRows('ps_revenue')).toEqual([
        { shop_id: 's1', revenue: 190, orders: 20 },
        { shop_id: 's2', revenue: 200, orders: 20 },
      ]);
      expect(changes).toHaveLength(41);
      // A rebuild replays the log (on SQL through its own transaction) to the same rows.
      const before = await set.unscopedRows('ps_orders');
      expect(await set.rebuild({ batchSize: 7 })).toBeGreaterThanOrEqual(41);
      expect(await set.unscopedRows('ps_orders')).toEqual(before);
      expect(await set.unscopedFind('ps_revenue', { shop_id: 's1' })).toEqual({
        shop_id: 's1',
        revenue: 190,
        orders: 20,
      });
    },
  );

  it.skipIf(!engine.available)('select scopes rows by tenant and equality filters', async () => {
    const set = await open();
    await t.store.append('a', [sale('sale.placed', 's1', 'o1', 5), sale('sale.placed', 's2', 'o2', 7)]);
    await t.store.append('b', [sale('sale.placed', 's1', 'o3', 9), sale('sale.refunded', 's1', 'o1')]);
    const scoped = await set.select('ps_orders', {
      tenantColumn: 'shop_id',
      tenantIds: ['s1'],
      where: { refunded: false },
    });
    expect(scoped.map((r) => r['order_id'])).toEqual(['o3']);
    expect(await set.select('ps_orders', { tenantColumn: 'shop_id', tenantIds: [] })).toEqual([]);
    expect((await set.select('ps_orders', { limit: 2 })).map((r) => r['order_id'])).toEqual(['o1', 'o3']);
  });

  it.skipIf(!engine.available)('a throwing guard fails the append and leaves no row', async () => {
    const set = await open({
      guards: [
        ({ changes }) => {
          for (const c of changes) {
            if (c.table === 'ps_revenue' && Number(c.newRow?.['revenue']) > 100) throw new Error('too much');
          }
        },
      ],
    });
    await t.store.append('a', [sale('sale.placed', 's1', 'o1', 60)]);
    await expect(t.store.append('b', [sale('sale.placed', 's1', 'o2', 60)])).rejects.toThrow('too much');
    expect(await set.unscopedRows('ps_orders')).toEqual([
      { shop_id: 's1', order_id: 'o1', total: 60, refunded: false },
    ]);
    expect(await set.unscopedFind('ps_revenue', { shop_id: 's1' })).toMatchObject({ revenue: 60, orders: 1 });
  });

  it.skipIf(!engine.available)(
    'async with coalesceMs folds the appends of its pause in one batch',
    async () => {
      const set = await open({ mode: 'async', pollIntervalMs: 600_000, coalesceMs: 3_000 });
      const batches: number[] = [];
      set.processor!.on('processor:batch', (info) => batches.push(info.events));
      await t.store.append('o0', [sale('sale.placed', 's1', 'o0', 3)]);
      await set.whenCaughtUp({ timeoutMs: 20_000 });
      // The pause after o0's batch has begun: three appends, each waking the processor.
      for (let i = 1; i <= 3; i++) await t.store.append(`o${i}`, [sale('sale.placed', 's1', `o${i}`, 3)]);
      await set.whenCaughtUp({ timeoutMs: 20_000 });
      expect(batches).toEqual([1, 3]);
      expect(await set.unscopedFind('ps_revenue', { shop_id: 's1' })).toMatchObject({
        revenue: 12,
        orders: 4,
      });
    },
  );

  it.skipIf(!engine.available)('runs async as a processor and catches up', async () => {
    const set = await open({ mode: 'async', pollIntervalMs: 50 });
    expect(set.processor?.name).toBe('ps_shop');
    for (let i = 0; i < 5; i++) await t.store.append(`o${i}`, [sale('sale.placed', 's1', `o${i}`, 3)]);
    await set.whenCaughtUp({ timeoutMs: 20_000 });
    expect(await set.unscopedFind('ps_revenue', { shop_id: 's1' })).toMatchObject({ revenue: 15, orders: 5 });
  });

  it.skipIf(!engine.available)('refuses a table that folds a later one', () => {
    expect(() =>
      createProjectionSet({ store: t.store, name: 'ps_bad', definitions: [revenue, orders] }),
    ).toThrow(/folds row:ps_orders, which is not defined before it/);
  });
});
