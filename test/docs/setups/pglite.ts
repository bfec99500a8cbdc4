/**
 * An embedded database for an example: `sql` on a fresh PGlite, a migrated
 * `store` on it (commerce events registered, so the docs' `order.*` events
 * validate), two projection definitions the docs pass around (`orderTotals`,
 * `stockLevels`), a started `processor`, an in-process `pubsub` and an empty
 * `rowChanges$`. Closed after the example: processor, store, then the database.
 */
import { EMPTY } from 'rxjs';
import { createEventStore, createMemoryPubSub, createProcessor, defineProjection } from '@creatorflow/sync';
import { registerCommerceEvents } from '@creatorflow/sync/commerce';
import { fromPglite, openPglite } from '@creatorflow/sync/pglite';
import type { DocSetup } from './types.js';

const orderTotals = defineProjection<{ creator_id: string; orders: number }>({
  name: 'order_totals',
  key: ['creator_id'],
  migrations: ['CREATE TABLE :TABLE: (creator_id text PRIMARY KEY, orders int NOT NULL)'],
  handlers: {
    'order.placed': {
      key: (e) => ({ creator_id: String(e.metadata.creatorId) }),
      apply: (row) => ({ orders: (row?.orders ?? 0) + 1 }),
    },
  },
});

const stockLevels = defineProjection<{ sku: string; on_hand: number }>({
  name: 'stock_levels',
  key: ['sku'],
  migrations: ['CREATE TABLE :TABLE: (sku text PRIMARY KEY, on_hand int NOT NULL)'],
  handlers: {
    'inventory.stock_updated': {
      key: (e) => ({ sku: String((e.data as { sku?: unknown }).sku) }),
      apply: (_row, e) => ({ on_hand: Number((e.data as { quantity?: unknown }).quantity) }),
    },
  },
});

const setup: DocSetup = async () => {
  const db = await openPglite();
  const sql = fromPglite(db);
  const store = createEventStore({ sql });
  registerCommerceEvents(store);
  await store.migrate();
  const processor = createProcessor({ store, name: 'doc-processor', handle: () => undefined });
  await processor.start();
  return {
    globals: {
      sql,
      store,
      orderTotals,
      stockLevels,
      processor,
      pubsub: createMemoryPubSub(),
      rowChanges$: EMPTY,
    },
    close: async () => {
      await processor.stop();
      await store.close();
      await db.close();
    },
  };
};
export default setup;
