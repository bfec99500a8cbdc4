/**
 * A parsed filter as an SQL `WHERE` clause with bound parameters. Column
 * names come only from the channel's allow-list (already checked by
 * `parseFilter`) and are quoted; every value is a parameter.
 */
import { quoteIdent } from '../core/sql-client.js';
import type { ChannelDefinition } from './channels.js';
import { InvalidFilterError } from './errors.js';
import type { ParsedFilter } from './filter.js';

const SQL_OPERATORS = { eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

/** A `WHERE` clause (without the keyword) and its parameters. */
export interface SqlWhere {
  text: string;
  params: unknown[];
}

/**
 * Build the `WHERE` clause of a snapshot: the tenant restriction (none when
 * `tenantIds` is null: an admin's audited every-tenant subscription) plus the filter.
 *
 * @example
 * ```ts
 * const where = filterToSql(channel, parseFilter(channel, 'stock=lt.10'), ['c1']);
 * await sql.query(`select * from inventory_alerts where ${where.text}`, where.params);
 * ```
 */
export function filterToSql(
  channel: ChannelDefinition,
  filter: ParsedFilter,
  tenantIds: readonly string[] | null,
  firstParam = 1,
): SqlWhere {
  const params: unknown[] = tenantIds === null ? [] : [[...tenantIds]];
  const parts = tenantIds === null ? [] : [`${quoteIdent(channel.tenantColumn)} = ANY($${firstParam})`];
  for (const c of filter.conditions) {
    if (!channel.filterableColumns.includes(c.column))
      throw new InvalidFilterError(c.column, 'the column is not allow-listed');
    const col = quoteIdent(c.column);
    if (c.op === 'in') {
      params.push([...c.literals]);
      parts.push(`${col} = ANY($${firstParam + params.length - 1})`);
    } else {
      params.push(c.literals[0]);
      // A declared text column orders by code point, as the in-memory matcher does, whatever the database's collation.
      const ordered = c.op !== 'eq' && c.op !== 'neq' && channel.columnTypes?.[c.column] === 'text';
      parts.push(
        `${col}${ordered ? ' COLLATE "C"' : ''} ${SQL_OPERATORS[c.op]} $${firstParam + params.length - 1}`,
      );
    }
  }
  return { text: parts.length > 0 ? parts.join(' AND ') : 'TRUE', params };
}
