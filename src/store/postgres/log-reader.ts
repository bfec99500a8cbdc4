/**
 * Reads the global log in commit order without ever skipping a late commit.
 *
 * `global_position` comes from a sequence, so a transaction that took position
 * 10 may commit after one that took 11. Readers therefore order by
 * (transaction_id, global_position) and only pass transactions below the
 * snapshot's xmin — every one of those has finished, so nothing can still
 * appear behind the checkpoint.
 */
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';
import { parseCheckpoint, START_CHECKPOINT, type LogCheckpoint } from '../checkpoint.js';
import type { ReadAllResult, ReaderLag } from '../types.js';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './event-rows.js';

/** The SQL of the log reader, prepared once per schema. */
export class LogReader {
  readonly #sql: SqlQueryable;
  readonly #readAll: string;
  readonly #head: string;
  readonly #heldBack: string;

  constructor(sql: SqlQueryable, schema: string) {
    const s = quoteIdent(schema);
    this.#sql = sql;
    this.#readAll = `SELECT ${EVENT_COLUMNS} FROM ${s}.events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
        AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY transaction_id, global_position
      LIMIT $3`;
    this.#head = `SELECT transaction_id::text AS txid, global_position FROM ${s}.events
      WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1`;
    this.#heldBack = `SELECT count(*)::int AS n FROM ${s}.events
      WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`;
  }

  async readAll(after: LogCheckpoint, limit: number): Promise<ReadAllResult> {
    const { transactionId, globalPosition } = parseCheckpoint(after);
    const { rows } = await this.#sql.query<EventRow>(this.#readAll, [
      transactionId.toString(),
      globalPosition,
      limit,
    ]);
    const events = rows.map(toStoredEvent);
    return { events, checkpoint: events.at(-1)?.checkpoint ?? after };
  }

  async head(): Promise<LogCheckpoint> {
    const { rows } = await this.#sql.query<{ txid: string; global_position: string | number }>(this.#head);
    const row = rows[0];
    return row ? `${row.txid}:${Number(row.global_position)}` : START_CHECKPOINT;
  }

  async lag(): Promise<ReaderLag> {
    const { rows } = await this.#sql.query<{ n: number }>(this.#heldBack);
    const heldBackEvents = rows[0]?.n ?? 0;
    if (heldBackEvents === 0) return { heldBackEvents, oldestOpenTransactionMs: null };
    const age = await this.#sql.query<{ ms: number | string | null }>(
      `SELECT extract(epoch FROM clock_timestamp() - min(xact_start)) * 1000 AS ms
         FROM pg_stat_activity
        WHERE pid <> pg_backend_pid() AND backend_xid IS NOT NULL`,
    );
    const ms = age.rows[0]?.ms;
    return { heldBackEvents, oldestOpenTransactionMs: ms === null || ms === undefined ? null : Number(ms) };
  }
}
