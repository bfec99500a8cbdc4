/**
 * Where a projection's rows live: a SQL table (read and written in batches) or a map.
 */
import type { Row } from '../../core/row-change.js';
import type { MergeSpec } from './merge-columns.js';

/** The rows to write after a batch. */
export interface TableWrites {
  upserts: Row[];
  /** Keys of rows to delete. */
  deletes: Row[];
  /**
   * Optional: the stored rows (by `rowKey`) that some upserts replace, as
   * read in this same transaction and not deleted by these writes. A backend
   * may then write only the columns that differ (and skip a row where none
   * do): rewriting 1,000 whole rows to change a few columns of each is most
   * of the cost of a fold that recomputes a tenant's rows.
   */
  stored?: ReadonlyMap<string, Row>;
}

/** The rows a merge changed, by `rowKey`: as they were (absent: created) and as they are. */
export interface MergedRows {
  before: ReadonlyMap<string, Row>;
  after: ReadonlyMap<string, Row>;
}

/** Storage of one read-model table. */
export interface TableBackend {
  /** The current rows of these keys, by `rowKey`. */
  load(keys: readonly Row[]): Promise<Map<string, Row>>;
  write(writes: TableWrites): Promise<void>;
  /**
   * Optional: merge `rows` (each a key, the merge's `initial` and a delta
   * filled as `newMergedRow` fills it) into the stored rows in the database,
   * without the caller reading them (a merge handler's fold; see
   * `ProjectionHandler.merge`). Resolves once the statements are sent (where
   * the transaction pipelines: queued, to go out with the next statement or
   * COMMIT) or have run; `rows` settles with their answer, so a pipelining
   * caller must not wait for it before sending another statement. Without
   * it, merge handlers fold on rows read like any other.
   */
  merge?(merge: MergeSpec, rows: readonly Row[]): Promise<{ rows: Promise<MergedRows> }>;
  /**
   * The keys of the rows whose columns equal `match` (what a handler's
   * `scope` names). Optional for tables of projections without scopes.
   */
  keysWhere?(match: Row): Promise<Row[]>;
  /** Every row (tests, snapshots); sorted by key. */
  all(): Promise<Row[]>;
}

/**
 * The identity of a row: its key values in key-column order, as strings, so a
 * key from an event (`5`) and from the database (`'5'` for a bigint) agree.
 *
 * @example
 * ```ts
 * rowKey(['creator_id'], { creator_id: 'c1', orders: 3 }) // '"c1"'
 * rowKey(['sku', 'warehouse'], { sku: 'a', warehouse: 'w1' }) // '["a","w1"]'
 * ```
 */
export function rowKey(keyColumns: readonly string[], row: Row): string {
  // Hot path (once per event): a single key column skips the array and JSON.
  if (keyColumns.length === 1) return JSON.stringify(keyPart(row[keyColumns[0]!]));
  return JSON.stringify(keyColumns.map((c) => keyPart(row[c])));
}

function keyPart(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * True when `row` has `match`'s value in each of its columns (compared as
 * {@link rowKey} compares keys, so `5` and `'5'` agree).
 *
 * @example
 * ```ts
 * rowMatches({ creator_id: 'c1', product_id: 'p1' }, { creator_id: 'c1' }) // true
 * ```
 */
export function rowMatches(row: Row, match: Row): boolean {
  for (const column of Object.keys(match)) {
    if (keyPart(row[column]) !== keyPart(match[column])) return false;
  }
  return true;
}

/**
 * `table` without `merge`: merge handlers then fold on rows they read (a table
 * whose changes a guard judges before COMMIT needs its rows then).
 *
 * @example
 * ```ts
 * const guarded = withoutMerge(set.table('stock', tx));
 * ```
 */
export function withoutMerge(table: TableBackend): TableBackend {
  if (!table.merge) return table;
  return {
    load: (keys) => table.load(keys),
    write: (writes) => table.write(writes),
    ...(table.keysWhere ? { keysWhere: (match: Row) => table.keysWhere!(match) } : {}),
    all: () => table.all(),
  };
}
