/**
 * Where a projection's rows live: tables in the store's SQL schema (rebuilt
 * blue/green) or a map in this process (rebuilt by the projection itself,
 * which replays into a fresh map and puts it in place). `projectionStorageOf`
 * picks the one that goes with a store.
 */
import type { SqlClient, SqlTransaction } from '../../core/sql-client.js';
import { migrateProcessing } from '../migrate-processing.js';
import type { ProjectionDefinition } from './definition.js';
import { MemoryTable } from './memory-table.js';
import type { RebuildOptions, RebuildResult } from './rebuild.js';
import { rebuildSqlProjection } from './sql-rebuild.js';
import { SqlTable } from './sql-table.js';
import type { TableBackend } from './table-backend.js';
import { migrateProjectionTable } from './table-names.js';

/** What every projection storage does. */
interface ProjectionStorageBase {
  /** Create or upgrade what the projection needs (processing tables, its table); safe to call again. */
  migrate(): Promise<void>;
  /** The live table, joining `tx` when the caller has one open. */
  table(tx?: SqlTransaction): TableBackend;
}

/** A projection's rows in a SQL table; rebuilt blue/green. */
export interface SqlProjectionStorage extends ProjectionStorageBase {
  readonly kind: 'sql';
  /** Replay the log into a fresh table and swap it in (see `rebuildProjection`). */
  rebuild(options: RebuildOptions): Promise<RebuildResult>;
}

/** A projection's rows in a map of this process; the projection rebuilds it and calls `replace`. */
export interface MemoryProjectionStorage extends ProjectionStorageBase {
  readonly kind: 'memory';
  /** Put a replayed table in place of the live one. */
  replace(fresh: TableBackend): void;
}

/**
 * The storage of one projection: `SqlProjectionStorage` (a table, blue/green rebuilds) or `MemoryProjectionStorage` (a map).
 *
 * @example
 * ```ts
 * const storage = projectionStorageOf(store, orderTotals);
 * await storage.migrate();
 * console.log(await storage.table().all());
 * ```
 */
export type ProjectionStorage = SqlProjectionStorage | MemoryProjectionStorage;

/**
 * A projection's table `definition.table` in `schema`.
 *
 * @example
 * ```ts
 * const storage = sqlProjectionStorage(sql, 'app', orderTotals);
 * ```
 */
export function sqlProjectionStorage(
  sql: SqlClient,
  schema: string,
  definition: ProjectionDefinition,
): SqlProjectionStorage {
  const { table, key } = definition;
  return {
    kind: 'sql',
    async migrate() {
      await migrateProcessing(sql, schema);
      await migrateProjectionTable(sql, schema, definition);
    },
    table: (tx) => new SqlTable(tx ?? sql, schema, table, key),
    rebuild: (options) => rebuildSqlProjection(sql, schema, options),
  };
}

/**
 * A projection's rows in a map of its own (every call makes a new one: two
 * projections of one definition on one memory store keep separate rows).
 *
 * @example
 * ```ts
 * const storage = memoryProjectionStorage(orderTotals);
 * ```
 */
export function memoryProjectionStorage(definition: ProjectionDefinition): MemoryProjectionStorage {
  let live: TableBackend = new MemoryTable(definition.key);
  return {
    kind: 'memory',
    async migrate() {},
    table: () => live,
    replace(fresh) {
      live = fresh;
    },
  };
}
