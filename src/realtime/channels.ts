/**
 * Channels: the read-model tables a client may subscribe to, each with its
 * key columns, its tenant column and an allow-list of filterable columns.
 * Nothing outside this list ever reaches a filter or an SQL statement.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { COLUMN_TYPES, type ColumnType } from './column-types.js';

/**
 * One realtime channel (a read-model table).
 *
 * @example
 * ```ts
 * const taskBoard: ChannelDefinition = {
 *   name: 'task_board',                    // the read model's table (RowChange.table)
 *   keyColumns: ['id'],
 *   tenantColumn: 'board_id',              // a subscription sees only its tenants' rows
 *   filterableColumns: ['column', 'assignee'],
 *   throttleMs: 100,                       // at most one message per 100 ms per subscription (0: every change)
 *   columnTypes: { position: 'number' },   // typed filters: position=gt.3
 * };
 * createRealtimeHub({ channels: [taskBoard], changes, snapshot });
 * ```
 */
export interface ChannelDefinition {
  /** Channel name = read-model table name (the `RowChange.table`). */
  readonly name: string;
  /** Primary-key columns; a delta's `key` holds exactly these. */
  readonly keyColumns: readonly string[];
  /** Column holding the tenant; a subscription only sees the rows of its `tenantIds`. */
  readonly tenantColumn: string;
  /** Columns a filter may name (the tenant and key columns are always allowed). */
  readonly filterableColumns: readonly string[];
  /** Default throttle of a subscription in ms: at most one message per interval. */
  readonly throttleMs: number;
  /** Columns a snapshot selects; all columns when absent. */
  readonly columns?: readonly string[];
  /** Schema-qualified table for SQL snapshots; `name` when absent. */
  readonly table?: string;
  /**
   * Types of filterable columns: a filter value of the wrong type is an
   * `INVALID_FILTER` (400) at subscribe time, before any SQL runs, and values
   * compare as the type says (`text`: as written, `'007'` is not `'7'`;
   * `date`, `timestamp`: as days and instants). Undeclared columns compare by
   * content, in the SQL snapshot and in memory alike (see docs/realtime.md).
   */
  readonly columnTypes?: Readonly<Record<string, ColumnType>>;
}

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier');

const channelSchema = z.object({
  name: identifier,
  keyColumns: z.array(identifier).min(1),
  tenantColumn: identifier,
  filterableColumns: z.array(identifier),
  throttleMs: z.number().int().min(0),
  columns: z.array(identifier).min(1).optional(),
  table: identifier.optional(),
  columnTypes: z.record(identifier, z.enum(COLUMN_TYPES)).optional(),
});

/**
 * Validate and freeze channel definitions; the tenant and key columns are
 * added to each allow-list.
 *
 * @example
 * ```ts
 * const channels = defineChannels([{ name: 'order_metrics', keyColumns: ['creator_id'],
 *   tenantColumn: 'creator_id', filterableColumns: ['status'], throttleMs: 5000 }]);
 * ```
 */
export function defineChannels(
  definitions: readonly ChannelDefinition[],
): ReadonlyMap<string, ChannelDefinition> {
  const map = new Map<string, ChannelDefinition>();
  for (const [i, def] of definitions.entries()) {
    const parsed = channelSchema.safeParse(def);
    if (!parsed.success) {
      throw new ValidationError(
        `Invalid realtime channel #${i}`,
        parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      );
    }
    const d = parsed.data;
    if (map.has(d.name))
      throw new ValidationError('Duplicate realtime channel', [{ path: 'name', message: d.name }]);
    const filterable = [...new Set([...d.filterableColumns, d.tenantColumn, ...d.keyColumns])];
    map.set(
      d.name,
      Object.freeze({
        ...d,
        keyColumns: Object.freeze([...d.keyColumns]),
        filterableColumns: Object.freeze(filterable),
        ...(d.columns ? { columns: Object.freeze([...d.columns]) } : {}),
        ...(d.columnTypes ? { columnTypes: Object.freeze({ ...d.columnTypes }) } : {}),
      }) as ChannelDefinition,
    );
  }
  return map;
}

/**
 * A stable string id of a row's key, in the channel's key-column order.
 *
 * @example
 * ```ts
 * keyIdOf(channel, { creator_id: 'c1', sku: 'A' }) // '["c1","A"]'
 * ```
 */
export function keyIdOf(channel: ChannelDefinition, row: Record<string, unknown>): string {
  return JSON.stringify(channel.keyColumns.map((c) => row[c] ?? null));
}

/**
 * The key columns of a row.
 *
 * @example
 * ```ts
 * keyOf(channel, { creator_id: 'c1', sku: 'A', stock: 3 }) // { creator_id: 'c1', sku: 'A' }
 * ```
 */
export function keyOf(channel: ChannelDefinition, row: Record<string, unknown>): Record<string, unknown> {
  const key: Record<string, unknown> = {};
  for (const c of channel.keyColumns) key[c] = row[c] ?? null;
  return key;
}
