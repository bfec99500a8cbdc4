/**
 * Selective field subscriptions (`select=col1,col2`): a subscriber receives
 * only these columns plus the key columns, in deltas and in reset rows.
 * Checked against the channel's declared `columns` when it has them; on a
 * channel without, the SQL snapshot names the columns in its query, so a
 * column the table lacks is refused by the database (turned into the same
 * typed error) before any row is sent.
 */
import type { Row } from '../core/row-change.js';
import type { ChannelDefinition } from './channels.js';
import { InvalidSelectError } from './errors.js';
import type { ParsedFilter } from './filter.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Validate a subscription's `select` list: column names, and on a channel
 * that declares its `columns`, only those. Returns the list deduplicated.
 *
 * @throws InvalidSelectError (code `INVALID_SELECT`, HTTP 400).
 * @example
 * ```ts
 * parseSelect(channel, ['active_orders', 'failed_orders']) // ['active_orders', 'failed_orders']
 * ```
 */
export function parseSelect(
  channel: ChannelDefinition,
  select: readonly string[] | undefined,
): readonly string[] | undefined {
  if (select === undefined) return undefined;
  if (select.length === 0) throw new InvalidSelectError(channel.name, '');
  for (const column of select) {
    if (!IDENTIFIER.test(column)) throw new InvalidSelectError(channel.name, column);
    if (channel.columns && !channel.columns.includes(column))
      throw new InvalidSelectError(channel.name, column);
  }
  return [...new Set(select)];
}

/**
 * The columns a snapshot must read for a selective subscription: the key and
 * tenant columns (to key and re-check rows), the filter's columns (to
 * re-check it), and the selected ones.
 *
 * @example
 * ```ts
 * snapshotColumns(channel, filter, ['active_orders']) // ['creator_id', 'active_orders']
 * ```
 */
export function snapshotColumns(
  channel: ChannelDefinition,
  filter: ParsedFilter,
  select: readonly string[],
): string[] {
  return [
    ...new Set([
      ...channel.keyColumns,
      channel.tenantColumn,
      ...filter.conditions.map((c) => c.column),
      ...select,
    ]),
  ];
}

/**
 * A row narrowed to the key columns and the selected ones (absent columns stay absent).
 *
 * @example
 * ```ts
 * selectFields(new Set(['creator_id', 'active_orders']), row)
 * ```
 */
export function selectFields(keep: ReadonlySet<string>, row: Row): Row {
  const out: Row = {};
  for (const c of Object.keys(row)) if (keep.has(c)) out[c] = row[c];
  return out;
}
