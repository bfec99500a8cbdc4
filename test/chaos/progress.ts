/**
 * Where the hosts' background work stands, from the database: sagas not yet
 * final, and which log readers (processors, the saga trigger) are behind the
 * log head. The run waits for this to settle before it checks anything.
 */
import { quoteIdent, type SqlClient } from '../../src/core/sql-client.js';
import { compareCheckpoints, START_CHECKPOINT } from '../../src/core/checkpoint.js';

/** A snapshot of the background work. */
export interface Progress {
  /** Sagas running or compensating. */
  openSagas: number;
  /** Checkpoint of the newest event. */
  head: string;
  /** Readers (processor names; a saga trigger is `saga-trigger:<name>`) whose checkpoint is before the head. */
  behind: string[];
}

/** True when nothing is left to do. */
export const settled = (p: Progress): boolean => p.openSagas === 0 && p.behind.length === 0;

/**
 * @example
 * ```ts
 * const progress = await readProgress(sql, 'chaos');
 * ```
 */
export async function readProgress(sql: SqlClient, schema: string): Promise<Progress> {
  const s = quoteIdent(schema);
  // The head first: a reader is only "behind" events that existed before its checkpoint was read.
  const { rows: heads } = await sql.query<{ head: string }>(
    `SELECT transaction_id::text || ':' || global_position AS head FROM ${s}.events
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
  );
  const head = heads[0]?.head ?? START_CHECKPOINT;
  const { rows: readers } = await sql.query<{ name: string; checkpoint: string }>(
    `SELECT processor AS name, checkpoint FROM ${s}.processor_checkpoints`,
  );
  const { rows: open } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${s}.sagas WHERE status IN ('running', 'compensating')`,
  );
  return {
    openSagas: open[0]?.n ?? 0,
    head,
    behind: readers.filter((r) => compareCheckpoints(r.checkpoint, head) < 0).map((r) => r.name),
  };
}
