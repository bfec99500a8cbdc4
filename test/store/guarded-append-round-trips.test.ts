/**
 * What an append that runs an inline hook costs on PostgreSQL, in round trips:
 * a guarded stock table (a projection set's tenant lock, row read, upsert and
 * guard) folded in the append's transaction. Six statements — BEGIN,
 * `append_batch`, the lock, the read, the upsert, COMMIT — in three round
 * trips: BEGIN goes out with `append_batch`, the lock with the read, the
 * upsert with COMMIT. A queued write that fails, or a guard that throws,
 * still fails the append and leaves nothing behind.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createProjectionSet, defineProjection, type ProjectionSet } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';
import { countingPgPool, type CountingPgPool } from '../support/counting-pg-pool.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

interface Moved {
  shopId: string;
  sku: string;
  delta: number;
}

const movedOf = (e: StoredEvent) => e.data as Moved;

const stock = defineProjection<{ shop_id: string; sku: string; quantity: number }>({
  name: 'rt_stock',
  key: ['shop_id', 'sku'],
  // The CHECK lets a test make the queued upsert itself fail.
  migrations: [
    'CREATE TABLE :TABLE: (shop_id text, sku text, quantity int NOT NULL CHECK (quantity < 1000), PRIMARY KEY (shop_id, sku))',
  ],
  handlers: {
    'stock.moved': {
      key: (e) => ({ shop_id: movedOf(e).shopId, sku: movedOf(e).sku }),
      apply: (row, e) => ({ quantity: (row?.quantity ?? 0) + movedOf(e).delta }),
    },
  },
});

const moved = (sku: string, delta: number) => ({ type: 'stock.moved', data: { shopId: 's1', sku, delta } });

describe.skipIf(!postgresEngine.available)('a guarded append on PostgreSQL', () => {
  const schema = uniqueSchema('grt');
  let inner: pg.Pool;
  let counting: CountingPgPool;
  let store: EventStore;
  let set: ProjectionSet;

  beforeAll(async () => {
    inner = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
    counting = countingPgPool(inner);
    store = createEventStore({ sql: fromPg(counting.pool), schema });
    await store.migrate();
    set = createProjectionSet({
      store,
      name: 'rt_shop',
      definitions: [stock],
      tenantOf: (e) => movedOf(e).shopId,
      guards: [
        ({ changes }) => {
          if (changes.some((c) => Number(c.newRow?.['quantity']) < 0)) throw new Error('oversold');
        },
      ],
    });
    await set.start();
    await store.append('sku-a', [moved('a', 5)]); // warm: streams, partitions, prepared statements
  });
  afterAll(async () => {
    await set.stop();
    await store.close();
    await inner.query(`DROP SCHEMA "${schema}" CASCADE`);
    await inner.end();
  });

  const eventsOf = async (streamId: string) => (await store.readStream(streamId)).events.length;

  it('sends BEGIN, the lock, append_batch, the read, the upsert and COMMIT in three round trips', async () => {
    counting.sent.length = 0;
    counting.roundTrips.count = 0;
    await store.append('sku-a', [moved('a', -2)]);
    const statements = counting.sent.map((text) => text.replace(/\s+/g, ' ').trim());
    expect(statements).toEqual([
      expect.stringMatching(/^BEGIN/),
      // The row's lock before the write: flushes on one row fold in log order.
      expect.stringContaining('pg_advisory_xact_lock'),
      expect.stringContaining('append_batch('),
      expect.stringMatching(/^SELECT \* FROM/),
      expect.stringMatching(/^UPDATE/),
      'COMMIT',
    ]);
    expect(counting.roundTrips.count).toBe(3);
    expect(await set.unscopedFind('rt_stock', { shop_id: 's1', sku: 'a' })).toMatchObject({ quantity: 3 });
  });

  it('fails the append when the queued upsert fails at COMMIT, and stores nothing', async () => {
    const before = await eventsOf('sku-a');
    await expect(store.append('sku-a', [moved('a', 5000)])).rejects.toMatchObject({ code: '23514' });
    expect(await eventsOf('sku-a')).toBe(before);
    expect(await set.unscopedFind('rt_stock', { shop_id: 's1', sku: 'a' })).toMatchObject({ quantity: 3 });
    // The store goes on: the next append commits.
    await store.append('sku-a', [moved('a', 1)]);
    expect(await set.unscopedFind('rt_stock', { shop_id: 's1', sku: 'a' })).toMatchObject({ quantity: 4 });
  });

  it('fails the append when the guard throws, and stores nothing', async () => {
    const before = await eventsOf('sku-a');
    await expect(store.append('sku-a', [moved('a', -10)])).rejects.toThrow('oversold');
    expect(await eventsOf('sku-a')).toBe(before);
    expect(await set.unscopedFind('rt_stock', { shop_id: 's1', sku: 'a' })).toMatchObject({ quantity: 4 });
  });
});
