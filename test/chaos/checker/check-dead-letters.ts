/**
 * A processor dead-letters an event only after its handler failed on it with
 * statement errors several times, and then moves past it: a read model, a
 * saga trigger or a projection silently misses that event until someone
 * redrives it. The faults of a run are all transient (connections, restarts,
 * locks), so a dead letter means a fault was taken for a bad event — the same
 * symptom `read_models_match_rebuild` and `sagas_finished` show, with its
 * cause named.
 */
import { quoteIdent, type SqlClient } from '../../../src/core/sql-client.js';
import { verdict, type InvariantResult } from './invariant.js';

/**
 * Every processor's dead letters in `schema`; `checked` is the events of the log.
 *
 * @example
 * ```ts
 * const result = await checkNoDeadLetters(sql, 'chaos', data.events.length);
 * ```
 */
export async function checkNoDeadLetters(
  sql: SqlClient,
  schema: string,
  events: number,
): Promise<InvariantResult> {
  const { rows } = await sql.query<{
    processor: string;
    eventId: string;
    eventType: string;
    error: string;
    attempts: number;
    failedAt: string;
  }>(
    `SELECT processor, event_id AS "eventId", event_type AS "eventType", error, attempts,
            failed_at::text AS "failedAt"
       FROM ${quoteIdent(schema)}.dead_letters ORDER BY id`,
  );
  return verdict(
    events,
    rows.map((row) => ({ problem: 'dead_lettered', ...row })),
  );
}
