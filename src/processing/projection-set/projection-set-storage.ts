/**
 * Where a projection set's tables live: tables in the store's SQL schema
 * (with the advisory locks that order the set's writers) or maps in this
 * process, whose batches stay staged until their append commits.
 * `projectionSetStorageOf` picks the one that goes with a store.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import { quoteIdent, type SqlClient, type SqlQueryable, type SqlTransaction } from '../../core/sql-client.js';
import { migrateProcessing } from '../migrate-processing.js';
import type { ProjectionDefinition } from '../projection/definition.js';
import type { LogCheckpoint } from '../../core/checkpoint.js';
import { rowLocks, takeAdvisoryLocks, type AdvisoryLock } from '../projection/advisory-locks.js';
import { lockCheckpointRow, readCheckpoint, saveCheckpoint } from '../checkpoint-store.js';
import { SqlTable } from '../projection/sql-table.js';
import type { TableBackend } from '../projection/table-backend.js';
import {
  createGenerationTable,
  generationTableName,
  swapGenerationTable,
} from '../projection/generation-tables.js';
import { migrateProjectionTable, projectionGeneration } from '../projection/table-names.js';
import { MemoryTables, type MemoryBatch } from './memory-set-tables.js';
import { rowMatches, selectRows, type RowQuery } from './row-query.js';

/** What every projection-set storage does. */
interface ProjectionSetStorageBase {
  /** Create or upgrade what the set needs (processing tables, its tables); safe to call again. */
  migrate(): Promise<void>;
  /** One live table, joining `tx` when the caller has one open. */
  table(name: string, tx?: SqlQueryable): TableBackend;
  /** The rows of `table` in `query`, sorted by key. */
  select(table: string, query: RowQuery): Promise<Row[]>;
}

/** A set's tables in SQL; the set's writers take turns on advisory locks. */
export interface SqlProjectionSetStorage extends ProjectionSetStorageBase {
  readonly kind: 'sql';
  /** Run `work` in one transaction of the store's database. */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Empty every table of the set, in `tx`. */
  truncate(tx: SqlTransaction): Promise<void>;
  /** Until the end of `tx`: exclusive, a rebuild holds appends' hooks back. */
  lockExclusive(tx: SqlQueryable): Promise<void>;
  /** Until the end of `tx`: the tenants' locks, exclusive, in sorted order (concurrent holders never deadlock), in one statement. */
  lockTenants(tx: SqlQueryable, tenants: readonly string[]): Promise<void>;
  /**
   * What an inline apply locks before it reads rows (for `takeAdvisoryLocks`):
   * the set's lock (shared, or exclusive for a batch that reaches rows by
   * scope) and the tenants' (shared: a holder of {@link lockTenants} waits for
   * them, and they for it), in that order; the rows follow, see `rowLocks`.
   */
  applyLocks(tenants: readonly string[], exclusive: boolean): AdvisoryLock[];
  /** The locks of `keys` of `table`, sorted: taken table after table, in the set's order. */
  rowLocks(table: string, keys: readonly Row[], merged?: readonly Row[]): AdvisoryLock[];
  /** Whether a transaction can stay open while other statements run (false on PGlite: one connection). */
  readonly concurrent: boolean;
  /**
   * In `tx`, after taking the set's rebuild lock (rebuilds take turns; appends
   * go on): an empty table of the next generation beside each live one.
   */
  createGeneration(tx: SqlTransaction): Promise<SetGeneration>;
  /** A table of `generation`, joining `tx`. */
  generationTable(generation: SetGeneration, table: string, tx: SqlQueryable): TableBackend;
  /**
   * In `tx`, under the set's exclusive lock: put `generation`'s tables in the
   * live ones' place, record it with the position it holds everything up to
   * (`through`), and tell every host's rebuild watcher on commit.
   */
  swapGeneration(tx: SqlTransaction, generation: SetGeneration, through: string): Promise<void>;
  /**
   * In `tx`: lock the checkpoint row of the set's processor (async mode; its
   * batch in flight commits first) and return the checkpoint, or null when it
   * has none yet.
   */
  lockProcessor(tx: SqlTransaction, processor: string): Promise<LogCheckpoint | null>;
  /** In `tx`: move the set's processor to `checkpoint` (its next batch finds it moved and reloads it). */
  moveProcessor(tx: SqlTransaction, processor: string, checkpoint: LogCheckpoint): Promise<void>;
}

/** A rebuild's tables before they are swapped in. */
export interface SetGeneration {
  /** By live table: the generation its new table was created for (named by `generationTableName`). */
  readonly tables: ReadonlyMap<string, number>;
}

/** A set's tables in maps of this process; a batch is staged until its append commits. */
export interface MemoryProjectionSetStorage extends ProjectionSetStorageBase {
  readonly kind: 'memory';
  /** Start a batch whose writes stay invisible until it commits. */
  batch(): MemoryBatch;
  /** Empty every table. */
  clear(): void;
  /**
   * Empty tables of the next generation, for a rebuild to replay into while
   * readers see the live ones; `swapIn()` makes them the live tables.
   */
  nextGeneration(): { table(name: string): TableBackend; swapIn(): void };
}

/**
 * The storage of a projection set: SQL tables or maps.
 *
 * @example
 * ```ts
 * const storage = projectionSetStorageOf(store, 'shop', [orders, orderStats]);
 * await storage.migrate();
 * console.log(await storage.table('orders').all());
 * ```
 */
export type ProjectionSetStorage = SqlProjectionSetStorage | MemoryProjectionSetStorage;

/**
 * A set's tables in `schema`; its locks are named after `schema` and `name`.
 *
 * @example
 * ```ts
 * const storage = sqlProjectionSetStorage(sql, 'app', 'shop', [orders, orderStats]);
 * ```
 */
export function sqlProjectionSetStorage(
  sql: SqlClient,
  schema: string,
  name: string,
  definitions: readonly ProjectionDefinition[],
): SqlProjectionSetStorage {
  // The key names of the read-model set this primitive came from: a host still
  // running the old code during a rolling deploy takes the same locks.
  const lockKey = `creatorflow.read_models:${schema}.${name}`;
  const keyOf = (table: string) => definitionOf(definitions, table).key;
  // Sorted by id, the order every holder takes them in.
  const tenantLocks = (tenants: readonly string[], mode: AdvisoryLock['mode']): AdvisoryLock[] =>
    [...new Set(tenants)].sort().map((id) => ({ name: `${lockKey}:${id}`, mode }));
  return {
    kind: 'sql',
    async migrate() {
      await migrateProcessing(sql, schema);
      for (const def of definitions) await migrateProjectionTable(sql, schema, def);
    },
    table: (table, tx) => new SqlTable(tx ?? sql, schema, table, keyOf(table)),
    select: (table, query) => selectRows(sql, schema, table, keyOf(table), query),
    transaction: (work) => sql.transaction(work),
    async truncate(tx) {
      const q = quoteIdent(schema);
      await tx.query(`TRUNCATE ${definitions.map((d) => `${q}.${quoteIdent(d.table)}`).join(', ')}`);
    },
    async lockExclusive(tx) {
      await takeAdvisoryLocks(tx, [{ name: lockKey, mode: 'exclusive' }]);
    },
    lockTenants: (tx, tenants) => takeAdvisoryLocks(tx, tenantLocks(tenants, 'exclusive')),
    applyLocks: (tenants, exclusive) => [
      { name: lockKey, mode: exclusive ? 'exclusive' : 'shared' },
      ...tenantLocks(tenants, 'shared'),
    ],
    rowLocks: (table, keys, merged) => rowLocks(`${lockKey}.${table}`, keyOf(table), keys, merged),
    concurrent: (sql.maxConcurrency ?? 1) > 1,
    async createGeneration(tx) {
      await takeAdvisoryLocks(tx, [{ name: `${lockKey}:rebuild`, mode: 'exclusive' }]);
      const tables = new Map<string, number>();
      for (const def of definitions) {
        const generation = (await projectionGeneration(tx, schema, def.name)) + 1;
        await createGenerationTable(tx, schema, def, generation);
        tables.set(def.table, generation);
      }
      return { tables };
    },
    generationTable: (generation, table, tx) => {
      const def = definitionOf(definitions, table);
      const name = generationTableName(def, generation.tables.get(def.table)!);
      return new SqlTable(tx, schema, name, def.key);
    },
    async swapGeneration(tx, generation, through) {
      for (const def of definitions) {
        await swapGenerationTable(tx, schema, def, generation.tables.get(def.table)!, through);
      }
    },
    async lockProcessor(tx, processor) {
      await lockCheckpointRow(tx, schema, processor);
      return readCheckpoint(tx, schema, processor);
    },
    moveProcessor: (tx, processor, checkpoint) => saveCheckpoint(tx, schema, processor, checkpoint),
  };
}

/**
 * A set's tables in maps of their own.
 *
 * @example
 * ```ts
 * const storage = memoryProjectionSetStorage([orders, orderStats]);
 * ```
 */
export function memoryProjectionSetStorage(
  definitions: readonly ProjectionDefinition[],
): MemoryProjectionSetStorage {
  const tables = new MemoryTables(definitions);
  const tableOf = (name: string) => {
    definitionOf(definitions, name);
    return tables.table(name)!;
  };
  return {
    kind: 'memory',
    async migrate() {},
    table: (name) => tableOf(name),
    async select(table, query) {
      const rows = (await tableOf(table).all()).filter((row) => rowMatches(row, query));
      return query.limit === undefined ? rows : rows.slice(0, query.limit);
    },
    batch: () => tables.batch(),
    clear: () => tables.clear(),
    nextGeneration() {
      const next = tables.next();
      return { table: (name) => next.table(name)!, swapIn: () => tables.swapIn(next) };
    },
  };
}

/** The definition of `table`, or an InvalidArgumentError. */
export function definitionOf(
  definitions: readonly ProjectionDefinition[],
  table: string,
): ProjectionDefinition {
  const def = definitions.find((d) => d.table === table);
  if (!def) throw new InvalidArgumentError(`unknown table "${table}" in the projection set`);
  return def;
}
