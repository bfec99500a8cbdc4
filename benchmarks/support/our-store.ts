/**
 * Our event store on real PostgreSQL, in a fresh schema, for one benchmark run.
 */
import type pg from 'pg';
import { createEventStore, type EventStore, type EventStoreConfig } from '../../src/index.js';
import { fromPg } from '../../src/adapters/pg.js';
import { dropSchema, freshSchemaName, openPool } from './pg-bench.js';

/** Public tuning knobs of the store that benchmarks may set. */
export type StoreTuning = Pick<
  EventStoreConfig,
  'maxBatch' | 'maxConcurrentFlushes' | 'minSplitSize' | 'pollIntervalMs'
>;

/** A migrated store in a fresh schema. */
export interface BenchStore {
  readonly store: EventStore;
  readonly schema: string;
  readonly pool: pg.Pool;
  /** Another store instance on the same schema over its own pool (e.g. a subscriber in another process). */
  openPeer(poolMax: number): Promise<{ store: EventStore; close(): Promise<void> }>;
  /** Close the store and its pool and drop the schema. */
  dispose(): Promise<void>;
}

/**
 * Create a fresh schema and a migrated store on it over a pool of `poolMax`.
 *
 * @example
 * ```ts
 * const ours = await openOurStore(16, { maxBatch: 500 });
 * await ours.store.append('order-1', [{ type: 'x', data: {} }]);
 * await ours.dispose();
 * ```
 */
export async function openOurStore(poolMax: number, tuning: StoreTuning = {}): Promise<BenchStore> {
  const schema = freshSchemaName('bench_ours');
  const pool = openPool({ max: poolMax, applicationName: schema });
  const store = createEventStore({ sql: fromPg(pool), schema, ...tuning });
  try {
    await store.migrate();
  } catch (err) {
    await pool.end();
    await dropSchema(schema);
    throw err;
  }
  return {
    store,
    schema,
    pool,
    async openPeer(peerPoolMax: number) {
      const peerPool = openPool({ max: peerPoolMax });
      const peer = createEventStore({ sql: fromPg(peerPool), schema, ...tuning });
      return {
        store: peer,
        async close() {
          await peer.close();
          await peer.sql?.close?.();
          await peerPool.end();
        },
      };
    },
    async dispose() {
      await store.close();
      await store.sql?.close?.();
      await pool.end();
      await dropSchema(schema);
    },
  };
}
