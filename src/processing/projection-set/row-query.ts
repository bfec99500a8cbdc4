/**
 * Reading a table of a set limited to some tenants and equality filters. On
 * SQL the limits are in the WHERE clause, so other tenants' rows never leave
 * the database; in memory the same predicate filters the rows.
 */
import type { Row } from '../../core/row-change.js';
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';

/** A filter value: columns are compared as text (`5` matches `'5'`), `null` matches NULL. */
export type RowFilterValue = string | number | boolean | null;

/**
 * Which rows of a table to read, sorted by key.
 *
 * @example
 * ```ts
 * const query: RowQuery = { tenantColumn: 'shop_id', tenantIds: ['s1'], where: { status: 'open' }, limit: 50 };
 * ```
 */
export interface RowQuery {
  /** The column holding a row's tenant; needed with `tenantIds`. */
  tenantColumn?: string;
  /** Only these tenants' rows (`null` or absent: every tenant). */
  tenantIds?: readonly string[] | null;
  /** Column = value, all of them (column names are checked by the caller). */
  where?: Readonly<Record<string, RowFilterValue>>;
  /** At most this many rows. */
  limit?: number;
}

/** Whether `row` is in `query` (the memory adapter's filter). */
export function rowMatches(row: Row, query: RowQuery): boolean {
  const { tenantColumn, tenantIds } = query;
  if (tenantIds && tenantColumn && !tenantIds.includes(String(row[tenantColumn]))) return false;
  return Object.entries(query.where ?? {}).every(([column, value]) => matches(row[column], value));
}

/** The rows of `schema.table` in `query`, sorted by `key`. */
export async function selectRows(
  sql: SqlQueryable,
  schema: string,
  table: string,
  key: readonly string[],
  query: RowQuery,
): Promise<Row[]> {
  const values: unknown[] = [];
  const clauses: string[] = [];
  if (query.tenantIds && query.tenantColumn) {
    values.push(JSON.stringify(query.tenantIds));
    clauses.push(
      `t.${quoteIdent(query.tenantColumn)} IN (SELECT jsonb_array_elements_text($${values.length}::jsonb))`,
    );
  }
  for (const [column, value] of Object.entries(query.where ?? {})) {
    values.push(column);
    const text = `to_jsonb(t) ->> $${values.length}`;
    if (value === null) clauses.push(`${text} IS NULL`);
    else {
      values.push(String(value));
      clauses.push(`${text} = $${values.length}`);
    }
  }
  let text = `SELECT t.* FROM ${quoteIdent(schema)}.${quoteIdent(table)} AS t`;
  if (clauses.length > 0) text += ` WHERE ${clauses.join(' AND ')}`;
  text += ` ORDER BY ${key.map((k) => `t.${quoteIdent(k)}`).join(', ')}`;
  if (query.limit !== undefined) {
    values.push(query.limit);
    text += ` LIMIT $${values.length}`;
  }
  const { rows } = await sql.query<Row>(text, values);
  return rows;
}

function matches(actual: unknown, expected: RowFilterValue): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  const text = actual instanceof Date ? actual.toISOString() : String(actual);
  return text === String(expected);
}
