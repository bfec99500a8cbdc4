/**
 * The baseline: Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql),
 * on the same server, in its own throw-away schema, over a pool of the same size.
 *
 * Emmett's DDL names no schema, so its tables and functions land in the first
 * schema of the connection's search_path: every connection of its pool gets
 * `search_path=<fresh schema>`.
 */
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import type pg from 'pg';
import { dropSchema, freshSchemaName, openPool, PG_URL } from './pg-bench.js';

/** An Emmett store in a fresh schema. */
export interface EmmettBaseline {
  readonly store: PostgresEventStore;
  readonly schema: string;
  readonly pool: pg.Pool;
  /** Close the store and its pool and drop its schema. */
  dispose(): Promise<void>;
}

/**
 * Create a fresh schema, open Emmett on it with a pool of `poolMax` and migrate.
 *
 * @example
 * ```ts
 * const emmett = await openEmmett(16);
 * await emmett.store.appendToStream('order-1', [{ type: 'x', data: {} }]);
 * await emmett.dispose();
 * ```
 */
export async function openEmmett(poolMax: number): Promise<EmmettBaseline> {
  const schema = freshSchemaName('bench_emmett');
  const pool = openPool({ max: poolMax, searchPath: schema, stockTypes: false, applicationName: schema });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  const store = getPostgreSQLEventStore(PG_URL, { connectionOptions: { pool } });
  await store.schema.migrate();
  return {
    store,
    schema,
    pool,
    async dispose() {
      await store.close();
      await pool.end();
      await dropSchema(schema);
    },
  };
}

/** A running Emmett consumer. */
export interface EmmettConsumer {
  stop(): Promise<void>;
}

/**
 * Start Emmett's polling consumer (`store.consumer()`, i.e.
 * postgreSQLEventStoreConsumer, with one reactor) from the end of the log, on
 * a second store instance over its own pool, calling `onEvent` for each event.
 *
 * @example
 * ```ts
 * const consumer = await startEmmettConsumer(emmett, (data) => seen(data));
 * ```
 */
export async function startEmmettConsumer(
  baseline: EmmettBaseline,
  onEvent: (data: Record<string, unknown>) => void,
  pulling: { batchSize?: number; pullingFrequencyInMs?: number } = {},
): Promise<EmmettConsumer> {
  const consumerPool = openPool({ max: 2, searchPath: baseline.schema, stockTypes: false });
  const reader = getPostgreSQLEventStore(PG_URL, {
    connectionOptions: { pool: consumerPool },
    schema: { autoMigration: 'None' },
  });
  const consumer = reader.consumer({ pulling });
  consumer.reactor({
    processorId: `bench-${baseline.schema}`,
    startFrom: 'END',
    eachMessage: (message) => {
      onEvent(message.data as Record<string, unknown>);
    },
  });
  const running = consumer.start();
  running.catch(() => undefined);
  return {
    async stop() {
      await consumer.stop();
      await consumer.close();
      await reader.close();
      await consumerPool.end();
    },
  };
}
