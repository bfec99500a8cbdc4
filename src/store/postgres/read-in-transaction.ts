/**
 * `readAll({ tx })`: a page of the log read in the caller's transaction, with
 * what its snapshot sees. No reader horizon — the caller holds the locks that
 * keep a concurrent commit out of the range it reads — and no read-ahead.
 */
import { parseCheckpoint, type LogCheckpoint } from '../../core/checkpoint.js';
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';
import type { ReadAllResult } from '../types.js';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './event-rows.js';

/**
 * At most `limit` events after `after`, read in `tx`.
 *
 * @example
 * ```ts
 * const page = await readAllInTransaction(tx, 'app', checkpoint, 5_000);
 * ```
 */
export async function readAllInTransaction(
  tx: SqlQueryable,
  schema: string,
  after: LogCheckpoint,
  limit: number,
): Promise<ReadAllResult> {
  const { transactionId, globalPosition } = parseCheckpoint(after);
  const { rows } = await tx.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${quoteIdent(schema)}.events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
      ORDER BY transaction_id, global_position LIMIT $3`,
    [transactionId.toString(), globalPosition, limit],
  );
  const events = rows.map(toStoredEvent);
  return { events, checkpoint: events.at(-1)?.checkpoint ?? after };
}
