/**
 * The baseline: Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql),
 * on the same server, over a pool of the same size.
 *
 * Each Emmett store gets a throw-away *database* (dropped afterwards) rather
 * than a schema: Emmett's DDL names no schema, and its migration decides
 * whether to create its functions by looking them up in `pg_proc` by name
 * across all schemas, so a second Emmett schema in one database (another run,
 * another process) skips creating them and then fails
 * ("function emt_add_partition(unknown) does not exist").
 */
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import type pg from 'pg';
import { createDatabase, databaseUrl, dropDatabase, freshSchemaName, openPool } from './pg-bench.js';

/** An Emmett store in a fresh database. */
export interface EmmettBaseline {
  readonly store: PostgresEventStore;
  /** The throw-away database's name; also the `application_name` of the store's connections. */
  readonly database: string;
  /** Its connection string (for a second Emmett instance, e.g. a consumer). */
  readonly connectionString: string;
  readonly pool: pg.Pool;
  /** Close the store and its pool and drop its database. */
  dispose(): Promise<void>;
}

/**
 * Create a fresh database, open Emmett on it with a pool of `poolMax` and migrate.
 *
 * @example
 * ```ts
 * const emmett = await openEmmett(16);
 * await emmett.store.appendToStream('order-1', [{ type: 'x', data: {} }]);
 * await emmett.dispose();
 * ```
 */
export async function openEmmett(poolMax: number): Promise<EmmettBaseline> {
  const database = freshSchemaName('bench_emmett');
  await createDatabase(database);
  const pool = openPool({ max: poolMax, database, stockTypes: false, applicationName: database });
  const store = getPostgreSQLEventStore(databaseUrl(database), { connectionOptions: { pool } });
  const dispose = async (): Promise<void> => {
    try {
      await store.close();
      await pool.end();
    } finally {
      await dropDatabase(database);
    }
  };
  try {
    await store.schema.migrate();
  } catch (err) {
    await dispose();
    throw err;
  }
  return { store, database, connectionString: databaseUrl(database), pool, dispose };
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
  const consumerPool = openPool({ max: 2, database: baseline.database, stockTypes: false });
  const reader = getPostgreSQLEventStore(baseline.connectionString, {
    connectionOptions: { pool: consumerPool },
    schema: { autoMigration: 'None' },
  });
  const consumer = reader.consumer({ pulling });
  consumer.reactor({
    processorId: `bench-${baseline.database}`,
    startFrom: 'END',
    eachMessage: (message) => {
      onEvent(message.data as Record<string, unknown>);
    },
  });
  const running = consumer.start();
  running.catch(() => undefined);
  return {
    async stop() {
      try {
        await consumer.stop();
        await consumer.close();
        await reader.close();
      } finally {
        await consumerPool.end();
      }
    },
  };
}
