/**
 * How the PostgreSQL store's group commit splits a burst of appends over its
 * flush slots: a short burst goes as one `append_batch` call (one round trip
 * and transaction for both processes), a long one is split over the free
 * slots into flushes of at least `minSplitSize` events (so a few large
 * appends are still split); `minSplitSize: 1` spreads every burst evenly, as
 * before the option existed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { countingPgPool, type CountingPgPool } from '../support/counting-pg-pool.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

const event = (i: number) => ({ type: 'item.added', data: { i } });

describe.skipIf(!postgresEngine.available)('group commit flush splitting on PostgreSQL', () => {
  const schema = uniqueSchema('fsplit');
  let inner: pg.Pool;
  let counting: CountingPgPool;
  const stores: EventStore[] = [];

  const open = async (minSplitSize?: number): Promise<EventStore> => {
    const store = createEventStore({
      sql: fromPg(counting.pool),
      schema,
      maxConcurrentFlushes: 4,
      ...(minSplitSize === undefined ? {} : { minSplitSize }),
    });
    stores.push(store);
    await store.migrate();
    return store;
  };

  /** Append `n` times `size` events to distinct streams in one synchronous burst; the append_batch calls sent. */
  const burst = async (store: EventStore, tag: string, n: number, size = 1): Promise<number> => {
    counting.sent.length = 0;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.append(
          `${tag}-${i}`,
          Array.from({ length: size }, (_, j) => event(j)),
        ),
      ),
    );
    expect(results.map((r) => r.nextVersion)).toEqual(Array.from({ length: n }, () => size));
    return counting.sent.filter((text) => text.includes('append_batch')).length;
  };

  beforeAll(async () => {
    inner = new pg.Pool({ connectionString: postgresUrl()!, max: 8 });
    counting = countingPgPool(inner);
  });

  afterAll(async () => {
    for (const store of stores) await store.close();
    await inner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await inner.end();
  });

  it('by default a burst of fewer than twice 16 events is one flush; 64 events, or 8 appends of 100, fill the four slots', async () => {
    const store = await open();
    expect(await burst(store, 'short', 12)).toBe(1);
    expect(await burst(store, 'pair', 31)).toBe(1);
    expect(await burst(store, 'long', 64)).toBe(4);
    // Eight appends of 100 events: enough work for every slot.
    expect(await burst(store, 'large', 8, 100)).toBe(4);
  });

  it('minSplitSize 1 spreads a short burst over every free slot', async () => {
    const store = await open(1);
    expect(await burst(store, 'even', 12)).toBe(4);
  });

  it('refuses a minSplitSize that is not a positive integer', () => {
    expect(() => createEventStore({ sql: fromPg(counting.pool), schema, minSplitSize: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
