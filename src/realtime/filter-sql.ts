/**
 * A parsed filter as an SQL `WHERE` clause with bound parameters. Column
 * names come only from the channel's allow-list (already checked by
 * `parseFilter`) and are quoted; every value is a parameter.
 */
import { quoteIdent } from '../core/sql-client.js';
import type { ChannelDefinition } from './channels.js';
import { isNumericText, MAX_NUMERIC_TEXT, NUMERIC_TEXT_PATTERN } from './decimal.js';
import { InvalidFilterError } from './errors.js';
import type { FilterCondition, ParsedFilter } from './filter.js';

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
  const param = (value: unknown) => `$${firstParam + params.push(value) - 1}`;
  for (const c of filter.conditions) {
    if (!channel.filterableColumns.includes(c.column))
      throw new InvalidFilterError(c.column, 'the column is not allow-listed');
    const col = quoteIdent(c.column);
    if (c.comparedAs === undefined) {
      parts.push(byContent(col, c, param));
    } else if (c.op === 'in') {
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

/**
 * A condition on an undeclared column, compared by content as the in-memory
 * matcher does (`compareValues` on the value's text): `column::text` exactly
 * as a decimal when it and the literal are numeric text, else as text by code
 * point. A first, always-true term still compares the column with the literal
 * in the column's own type, so a value the column cannot hold (`abc` for an
 * integer) or an operator its type lacks (`json`) stays the database's
 * refusal (turned into `INVALID_FILTER` by the snapshot), as before.
 */
function byContent(col: string, c: FilterCondition, param: (value: unknown) => string): string {
  const text = `${col}::text`;
  const op = c.op === 'in' ? '=' : SQL_OPERATORS[c.op];
  const typeCheck =
    c.op === 'in'
      ? `(${col} = ANY(${param([...c.literals])}) OR TRUE)`
      : `(${col} ${op} ${param(c.literals[0])} OR TRUE)`;
  // Called only where used: every parameter pushed must appear in the query.
  const numeric = () =>
    `char_length(${text}) <= ${MAX_NUMERIC_TEXT} AND ${text} ~ ${param(NUMERIC_TEXT_PATTERN)}::text`;
  if (c.op === 'in') {
    const numbers = c.literals.filter(isNumericText);
    const texts = c.literals.filter((l) => !isNumericText(l));
    const asText = texts.length > 0 ? `${text} = ANY(${param(texts)}::text[])` : 'FALSE';
    // Numeric text never equals a literal that is not: without numeric literals the text test is enough.
    if (numbers.length === 0) return `${typeCheck} AND ${asText}`;
    return `${typeCheck} AND CASE WHEN ${numeric()} THEN ${text}::numeric = ANY(${param(numbers)}::numeric[]) ELSE ${asText} END`;
  }
  const literal = c.literals[0] ?? '';
  const asText = `${text} COLLATE "C" ${op} ${param(literal)}::text`;
  if (!isNumericText(literal)) return `${typeCheck} AND ${asText}`;
  // CASE, not AND: the cast must only see numeric text.
  return `${typeCheck} AND CASE WHEN ${numeric()} THEN ${text}::numeric ${op} ${param(literal)}::numeric ELSE ${asText} END`;
}
