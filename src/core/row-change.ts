/**
 * A row a projection changed: the feed the realtime delta stream is built on.
 */
import type { LogCheckpoint } from './checkpoint.js';

/** Row operations, as PostgreSQL names them. */
export const ROW_OPERATIONS = ['INSERT', 'UPDATE', 'DELETE'] as const;
/** One of {@link ROW_OPERATIONS}. */
export type RowOperation = (typeof ROW_OPERATIONS)[number];

/** A read-model row, column name to value. */
export type Row = Record<string, unknown>;

/**
 * One change to one read-model row.
 *
 * @example
 * ```ts
 * const change: RowChange = { table: 'order_metrics', key: { creator_id: 'c1' }, operation: 'UPDATE',
 *   newRow: { creator_id: 'c1', active_orders: 4 }, oldRow: { creator_id: 'c1', active_orders: 3 },
 *   position: 812, checkpoint: '5001:812' };
 * ```
 */
export interface RowChange {
  /** Read-model table (the realtime channel). */
  table: string;
  /** Primary-key columns of the row. */
  key: Row;
  operation: RowOperation;
  /** The row after the change (null for DELETE). */
  newRow: Row | null;
  /** The row before the change (null for INSERT). */
  oldRow: Row | null;
  /** Global position of the event that caused the change. */
  position: number;
  /** Log checkpoint of that event: the resume cursor. */
  checkpoint: LogCheckpoint;
}
