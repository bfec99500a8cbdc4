/**
 * Rows of a commerce read model limited to a read scope (the creators a
 * caller may see) and optional equality filters, read through the projection
 * set's `select` (on SQL the scope and filters are in the WHERE clause, so
 * rows of other creators never leave the database).
 */
import type { ReadScope } from '../../access/read-scope.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import type { RowFilterValue as SetRowFilterValue } from '../../processing/index.js';
import type { ReadModelSet } from './read-model-set.js';

/** The tenant column of every commerce read model. */
export const COMMERCE_TENANT_COLUMN = 'creator_id';

/** A filter value: columns are compared as text (`5` matches `'5'`), `null` matches NULL. */
export type RowFilterValue = SetRowFilterValue;

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
 * const rows = await scopedRows(readModels, 'inventory_alerts', readScope(auth), { where: { status: 'active' } });
 * ```
 */
export async function scopedRows(
  readModels: ReadModelSet,
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
  return readModels.select(table, {
    tenantColumn: COMMERCE_TENANT_COLUMN,
    tenantIds: scope.tenantIds,
    ...options,
  });
}
