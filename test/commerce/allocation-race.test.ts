/**
 * Never oversell: allocations racing for the last units of a product, from
 * two hosts (two stores and commerce instances on separate connections to one
 * database), with inline and with async read models, end with exactly the
 * stock allocated. `allocation-race-processes.test.ts` runs the race from two
 * real processes.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import {
  commerceEvent,
  orderStream,
  createCommerce,
  FakePaymentGateway,
  FakeShippingProvider,
  FakeTikTokShopClient,
  InsufficientStockError,
  STOCK_GUARD_METADATA,
  type Commerce,
  type InventoryLevelRow,
} from '../../src/commerce/index.js';
import type { RowChange } from '../../src/core/row-change.js';
import type { ReadModelMode } from '../../src/commerce/read-models/read-model-set.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { pgliteEngine, postgresEngine, postgresUrl } from '../support/databases.js';
import { FAST_RETRY } from './support.js';
import { systemActor } from '../../src/access/index.js';

/** Who these tests' direct inventory writes act as. */
const TEST_ACTOR = systemActor('test');

const C = 'creator-race';
const P = 'p-last-units';
const STOCK = 5;
const ORDERS = 20;

/** One host process: a store, the commerce domain on it, and its fake payment gateway. */
interface Host {
  store: EventStore;
  commerce: Commerce;
  payments: FakePaymentGateway;
}

/** Hosts sharing one database; each its own store (and, on PostgreSQL, pool). */
interface Hosts {
  hosts: Host[];
  close(): Promise<void>;
}

/** With `saga`, hosts run the fulfillment saga on fake third parties. */
interface OpenOptions {
  saga: boolean;
  readModels: ReadModelMode;
}

const ENGINES: { name: string; available: () => boolean; open(o: OpenOptions): Promise<Hosts> }[] = [
  {
    name: 'memory',
    available: () => true,
    async open({ saga, readModels }) {
      // One process. Without the saga: two commerce instances on one store, each
      // with its own read models. Saga state is per runner in memory: one host.
      const store = createEventStore();
      return startHosts(saga ? [store] : [store, store], { saga, readModels }, async () => undefined);
    },
  },
  {
    name: 'pglite',
    available: () => true,
    async open(options) {
      const db = await pgliteEngine.open();
      const stores = [0, 1].map(() => createEventStore({ sql: db.sql, schema: db.schema }));
      return startHosts(stores, options, () => db.close());
    },
  },
  {
    name: 'postgres',
    available: () => postgresEngine.available,
    async open(options) {
      const db = await postgresEngine.open();
      // The second "process": its own pool on the same schema.
      const pool = new pg.Pool({ connectionString: postgresUrl()!, max: 10 });
      const second = fromPg(pool);
      const stores = [db.sql, second].map((sql) => createEventStore({ sql, schema: db.schema }));
      return startHosts(stores, options, async () => {
        await second.close?.();
        await pool.end();
        await db.close();
      });
    },
  },
];

async function startHosts(
  stores: EventStore[],
  { saga, readModels }: OpenOptions,
  closeDb: () => Promise<void>,
): Promise<Hosts> {
  const hosts = stores.map((store): Host => {
    const payments = new FakePaymentGateway();
    const ports = { payments, shipping: new FakeShippingProvider(), tiktok: new FakeTikTokShopClient() };
    const commerce = createCommerce({
      store,
      pollIntervalMs: 20,
      stepRetry: FAST_RETRY,
      readModels,
      ...(saga ? { ports } : {}),
    });
    return { store, commerce, payments };
  });
  // One after the other: the first migrates the shared schema.
  for (const h of hosts) await h.commerce.start();
  return {
    hosts,
    async close() {
      for (const h of hosts) await h.commerce.stop();
      for (const store of new Set(stores)) await store.close();
      await closeDb();
    },
  };
}

async function restock(store: EventStore, quantity: number): Promise<void> {
  await store.append(`inventory-${C}-${P}`, [
    commerceEvent('inventory.stock_updated', {
      creatorId: C,
      productId: P,
      quantity,
      reason: 'restock',
      threshold: 1,
    }),
  ]);
}

/** Every `available` the hosts published for the product. */
function watchAvailable(hosts: readonly Host[]): { values: number[]; stop(): void } {
  const values: number[] = [];
  const subscriptions = hosts.map((h) =>
    h.commerce.changesOf('inventory_levels').subscribe((c: RowChange) => {
      const row = c.newRow as InventoryLevelRow | null;
      if (row?.product_id === P) values.push(Number(row.available));
    }),
  );
  return { values, stop: () => subscriptions.forEach((s) => s.unsubscribe()) };
}

async function reservedInLog(store: EventStore): Promise<number> {
  let units = 0;
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ ...(after === undefined ? {} : { after }), limit: 500 });
    if (page.events.length === 0) return units;
    for (const e of page.events) {
      const d = e.data as { productId?: string; quantity?: number };
      if (e.type === 'inventory.reserved' && d.productId === P) units += d.quantity ?? 0;
    }
    after = page.checkpoint;
  }
}

const RUNS = ENGINES.flatMap((engine) =>
  (['inline', 'async'] as const).map((readModels) => ({ ...engine, readModels })),
);

describe.each(RUNS)('allocation race on $name with $readModels read models', (engine) => {
  const open = (saga: boolean) => engine.open({ saga, readModels: engine.readModels });
  let opened: Hosts | undefined;

  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  it.skipIf(!engine.available())(
    `${ORDERS} concurrent orders for ${STOCK} units: exactly ${STOCK} allocated, never negative`,
    async () => {
      opened = await open(false);
      const { hosts } = opened;
      await restock(hosts[0]!.store, STOCK);
      const available = watchAvailable(hosts);

      const outcomes = await Promise.allSettled(
        Array.from({ length: ORDERS }, (_, i) =>
          hosts[i % hosts.length]!.commerce.inventory.allocate({
            actor: TEST_ACTOR,
            creatorId: C,
            orderId: `race-${i}`,
            lines: [{ productId: P, quantity: 1 }],
          }),
        ),
      );
      for (const h of hosts) await h.commerce.whenIdle();
      available.stop();

      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(won).toHaveLength(STOCK);
      expect(lost).toHaveLength(ORDERS - STOCK);
      for (const err of lost) {
        expect(err).toBeInstanceOf(InsufficientStockError);
        expect((err as InsufficientStockError).code).toBe('INSUFFICIENT_STOCK');
        expect((err as InsufficientStockError).shortfalls).toEqual([
          expect.objectContaining({ productId: P, requested: 1 }),
        ]);
      }
      for (const h of hosts) {
        const level = await h.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
          creator_id: C,
          product_id: P,
        });
        expect(level).toMatchObject({ on_hand: STOCK, reserved: STOCK, available: 0 });
      }
      expect(Math.min(...available.values)).toBe(0);
      expect(await reservedInLog(hosts[0]!.store)).toBe(STOCK);
      // The losers hold nothing, the winners one unit each.
      const held = await Promise.all(
        outcomes.map((_, i) => hosts[0]!.commerce.inventory.held(C, `race-${i}`)),
      );
      expect(held.filter((h) => h.get(P) === 1)).toHaveLength(STOCK);
      expect(held.filter((h) => h.size === 0)).toHaveLength(ORDERS - STOCK);
    },
  );

  it.skipIf(!engine.available())(
    "judges only allocate()'s reservations, and a refused append leaves nothing behind",
    async () => {
      opened = await open(false);
      const { store, commerce } = opened.hosts[0]!;
      await restock(store, 2);
      const level = async () => {
        await commerce.whenIdle();
        return commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
          creator_id: C,
          product_id: P,
        });
      };
      const reserve = (orderId: string, quantity: number, metadata = {}) =>
        commerceEvent('inventory.reserved', { creatorId: C, orderId, productId: P, quantity }, { metadata });

      // What a stale check would append: refused in the transaction, with its key.
      const stale = store.append(
        orderStream(C, 'stale'),
        [
          commerceEvent('order.inventory_allocated', {
            creatorId: C,
            orderId: 'stale',
            allocations: [{ productId: P, quantity: 3 }],
          }),
          reserve('stale', 3, { [STOCK_GUARD_METADATA]: true }),
        ],
        { idempotencyKey: 'alloc-stale' },
      );
      await expect(stale).rejects.toMatchObject({
        code: 'INSUFFICIENT_STOCK',
        orderId: 'stale',
        shortfalls: [{ productId: P, requested: 3, available: 2 }],
      });
      expect((await store.readStream(orderStream(C, 'stale'))).version).toBe(0);
      expect(await level()).toMatchObject({ on_hand: 2, reserved: 0, available: 2 });

      // The same append with the same key goes through once the stock is there.
      await restock(store, 3);
      const retried = await store.append(
        orderStream(C, 'stale'),
        [reserve('stale', 3, { [STOCK_GUARD_METADATA]: true })],
        {
          idempotencyKey: 'alloc-stale',
        },
      );
      expect(retried.duplicate).toBe(false);
      expect(await level()).toMatchObject({ on_hand: 3, reserved: 3, available: 0 });

      // Facts from elsewhere are recorded as they are, even below zero.
      await store.append(orderStream(C, 'external'), [reserve('external', 2)]);
      await restock(store, 1);
      expect(await level()).toMatchObject({ on_hand: 1, reserved: 5, available: -4 });
      await expect(
        commerce.inventory.allocate({
          actor: TEST_ACTOR,
          creatorId: C,
          orderId: 'late',
          lines: [{ productId: P, quantity: 1 }],
        }),
      ).rejects.toBeInstanceOf(InsufficientStockError);

      // A rebuild replays the log as it is (no guard) to the same row.
      const before = await level();
      await commerce.readModels.rebuild();
      expect(await level()).toMatchObject({
        on_hand: before!.on_hand,
        reserved: before!.reserved,
        available: before!.available,
      });
    },
  );

  it.skipIf(!engine.available())(
    'fulfillment sagas racing for the last units: the losers fail and compensate, nothing oversold',
    async () => {
      const stock = 3;
      const orders = 10;
      opened = await open(true);
      const { hosts } = opened;
      await restock(hosts[0]!.store, stock);
      const available = watchAvailable(hosts);

      await Promise.all(
        Array.from({ length: orders }, (_, i) =>
          hosts[i % hosts.length]!.store.append(orderStream(C, `saga-${i}`), [
            commerceEvent('order.received_from_tiktok', {
              creatorId: C,
              shopId: 'shop-1',
              orderId: `saga-${i}`,
              status: 'AWAITING_SHIPMENT',
              updateTime: '2026-03-01T10:00:00.000Z',
              currency: 'USD',
              lineItems: [{ productId: P, quantity: 1 }],
              totalAmount: 10,
            }),
          ]),
        ),
      );
      const states = await Promise.all(
        Array.from({ length: orders }, (_, i) =>
          hosts[i % hosts.length]!.commerce.waitForFulfillment(C, `saga-${i}`),
        ),
      );
      for (const h of hosts) {
        await h.commerce.whenIdle();
        await h.commerce.whenIdle();
      }
      available.stop();

      expect(states.filter((s) => s.status === 'completed')).toHaveLength(stock);
      const failed = states.filter((s) => s.status !== 'completed');
      expect(failed).toHaveLength(orders - stock);
      for (const state of failed) {
        expect(state.status).toBe('compensated');
        expect(state.error?.message).toMatch(/not enough stock/);
        const orderId = state.sagaId.split(':').at(-1)!;
        const types = (await hosts[0]!.store.readStream(orderStream(C, orderId))).events.map((e) => e.type);
        expect(types).not.toContain('inventory.reserved');
        expect(types).not.toContain('order.payment_processed');
        expect(types).toContain('order.cancelled');
      }
      // Only the winners paid; what they hold left the shelf when they shipped.
      expect(hosts.reduce((sum, h) => sum + h.payments.netCaptured(), 0)).toBe(stock * 10);
      expect(await reservedInLog(hosts[0]!.store)).toBe(stock);
      expect(Math.min(...available.values)).toBe(0);
      const level = await hosts[0]!.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: P,
      });
      expect(level).toMatchObject({ on_hand: 0, reserved: 0, available: 0 });
    },
  );
});
