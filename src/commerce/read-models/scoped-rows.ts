/**
 * Rows of a commerce read model limited to a read scope (the creators a
 * caller may see) and optional equality filters. On SQL the scope and the
 * filters are in the WHERE clause, so rows of other creators never leave the
 * database; in memory the same predicate filters the rows.
 */
import type { ReadScope } from '../../access/read-scope.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import { quoteIdent } from '../../core/sql-client.js';
import type { EventStore } from '../../store/types.js';
import type { ReadModelSet } from './read-model-set.js';

/** The tenant column of every commerce read model. */
export const COMMERCE_TENANT_COLUMN = 'creator_id';

/** A filter value: columns are compared as text (`5` matches `'5'`), `null` matches NULL. */
export type RowFilterValue = string | number | boolean | null;

/**
 * What {@link Commerce.rows} may narrow by besides the caller's scope.
 *
 * @example
 * ```ts
 * const options: CommerceReadOptions = { where: { status: 'active' }, tenantIds: ['creator-1'], limit: 50 };
 * ```
 */
export interface CommerceReadOptions {
  /** Column = value, all of them. */
  where?: Readonly<Record<string, RowFilterValue>>;
  /** Only these creators (within what the caller may see; an admin naming other creators is access-audited). */
  tenantIds?: readonly string[];
  /** At most this many rows (sorted by key). */
  limit?: number;
}

const COLUMN = /^[a-z_][a-z0-9_]*$/;

/**
 * The rows of `table` in `scope` matching `where`, sorted by key.
 *
 * @example
 * ```ts
 * const rows = await scopedRows(readModels, store, 'inventory_alerts', readScope(auth), { where: { status: 'active' } });
 * ```
 */
export async function scopedRows(
  readModels: ReadModelSet,
  store: EventStore,
  table: string,
  scope: ReadScope,
  options: Pick<CommerceReadOptions, 'where' | 'limit'> = {},
): Promise<Row[]> {
  const def = readModels.definitions.find((d) => d.table === table);
  if (!def) throw new InvalidArgumentError(`unknown read model "${table}"`);
  const where = Object.entries(options.where ?? {});
  for (const [column] of where) {
    if (!COLUMN.test(column)) throw new InvalidArgumentError(`"${column}" is not a column name`);
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 0))
    throw new InvalidArgumentError(`limit must be an integer >= 0, got ${String(options.limit)}`);
  if (scope.tenantIds?.length === 0 || options.limit === 0) return [];
  if (!store.sql) {
    const rows = (await readModels.unscopedRows(table)).filter(
      (row) =>
        (scope.tenantIds === null || scope.tenantIds.includes(String(row[COMMERCE_TENANT_COLUMN]))) &&
        where.every(([column, value]) => matches(row[column], value)),
    );
    return options.limit === undefined ? rows : rows.slice(0, options.limit);
  }
  const values: unknown[] = [];
  const clauses: string[] = [];
  if (scope.tenantIds !== null) {
    values.push(JSON.stringify(scope.tenantIds));
    clauses.push(
      `t.${quoteIdent(COMMERCE_TENANT_COLUMN)} IN (SELECT jsonb_array_elements_text($${values.length}::jsonb))`,
    );
  }
  for (const [column, value] of where) {
    values.push(column);
    const text = `to_jsonb(t) ->> $${values.length}`;
    if (value === null) clauses.push(`${text} IS NULL`);
    else {
      values.push(String(value));
      clauses.push(`${text} = $${values.length}`);
    }
  }
  let text = `SELECT t.* FROM ${quoteIdent(store.schema)}.${quoteIdent(table)} AS t`;
  if (clauses.length > 0) text += ` WHERE ${clauses.join(' AND ')}`;
  text += ` ORDER BY ${def.key.map((k) => `t.${quoteIdent(k)}`).join(', ')}`;
  if (options.limit !== undefined) {
    values.push(options.limit);
    text += ` LIMIT $${values.length}`;
  }
  const { rows } = await store.sql.query<Row>(text, values);
  return rows;
}

function matches(actual: unknown, expected: RowFilterValue): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  const text = actual instanceof Date ? actual.toISOString() : String(actual);
  return text === String(expected);
}
