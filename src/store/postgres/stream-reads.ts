/**
 * Stream reads of one store, batched like its appends: a `readStream` made
 * while another is in flight (or in the same tick as others) waits for the
 * next statement, which reads every waiting stream at once
 * (`stream_id = ANY`, each with its own `fromVersion` and `maxCount`). A
 * lone read keeps the one-stream statement. A read waits only for a
 * statement that starts after it was made, so it sees every append that
 * committed before it: what the one-stream read promised.
 */
import { GroupCommitter, type FlushOutcome } from '../../runtime/group-commit.js';
import { quoteIdent, type SqlClient } from '../../core/sql-client.js';
import type { ReadStreamOptions, ReadStreamResult } from '../types.js';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './event-rows.js';

/** One caller's read. */
interface StreamRead {
  streamId: string;
  fromVersion: number;
  maxCount: number | null;
}

/** Most streams per statement. */
const MAX_STREAMS_PER_READ = 200;

/** A row of either statement: the stream's version and one of its events (none: `id` null). */
type StreamRow = EventRow & { stream_version: string | number };

/**
 * The `readStream` of the PostgreSQL/PGlite store. One statement in flight
 * at a time: reads made meanwhile share the next one.
 *
 * @example
 * ```ts
 * const reads = new StreamReads(sql, 'creatorflow');
 * const [a, b] = await Promise.all([reads.read('order-1'), reads.read('order-2', { fromVersion: 3 })]);
 * ```
 */
export class StreamReads {
  readonly #sql: SqlClient;
  readonly #one: string;
  readonly #many: string;
  readonly #batcher: GroupCommitter<StreamRead, ReadStreamResult>;

  constructor(sql: SqlClient, schema: string) {
    this.#sql = sql;
    const s = quoteIdent(schema);
    this.#one = `SELECT st.version AS stream_version, e.*
      FROM ${s}.streams st
      LEFT JOIN LATERAL (
        SELECT ${EVENT_COLUMNS} FROM ${s}.events
         WHERE aggregate_id = st.stream_id AND version >= $2
         ORDER BY version LIMIT $3) e ON true
     WHERE st.stream_id = $1`;
    // Streams that do not exist return no row (version 0, no events). Each stream
    // row is reached by its primary key (the LIMIT keeps the subquery from being
    // flattened into a join whose generic plan depends on the array's size).
    this.#many = `SELECT r.ord, st.version AS stream_version, e.*
      FROM unnest($1::text[], $2::int8[], $3::int8[]) WITH ORDINALITY AS r(stream_id, from_version, max_count, ord)
      CROSS JOIN LATERAL (
        SELECT s.stream_id, s.version FROM ${s}.streams s WHERE s.stream_id = r.stream_id LIMIT 1) st
      LEFT JOIN LATERAL (
        SELECT ${EVENT_COLUMNS}, version AS event_version FROM ${s}.events
         WHERE aggregate_id = st.stream_id AND version >= r.from_version
         ORDER BY version LIMIT r.max_count) e ON true
     ORDER BY r.ord, e.event_version`;
    this.#batcher = new GroupCommitter((batch) => this.#readBatch(batch), {
      maxBatch: MAX_STREAMS_PER_READ,
      maxInFlight: 1,
    });
  }

  /** Read one stream (what `EventStore.readStream` returns). */
  read(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    return this.#batcher.submit({
      streamId,
      fromVersion: options.fromVersion ?? 1,
      maxCount: options.maxCount ?? null,
    });
  }

  async #readBatch(batch: readonly StreamRead[]): Promise<FlushOutcome<ReadStreamResult>[]> {
    if (batch.length === 1) {
      const { streamId, fromVersion, maxCount } = batch[0]!;
      const { rows } = await this.#sql.query<StreamRow>(this.#one, [streamId, fromVersion, maxCount], {
        prepare: true,
      });
      return [{ ok: true, value: resultOf(rows) }];
    }
    const { rows } = await this.#sql.query<StreamRow & { ord: string | number }>(
      this.#many,
      [batch.map((r) => r.streamId), batch.map((r) => r.fromVersion), batch.map((r) => r.maxCount)],
      { prepare: true },
    );
    const byRead: StreamRow[][] = batch.map(() => []);
    for (const row of rows) byRead[Number(row.ord) - 1]!.push(row);
    return byRead.map((read) => ({ ok: true, value: resultOf(read) }));
  }
}

/** A stream's rows (its version on each; no event when `id` is null) as a read's result. */
function resultOf(rows: readonly StreamRow[]): ReadStreamResult {
  const first = rows[0];
  if (!first) return { version: 0, events: [] };
  return {
    version: Number(first.stream_version),
    events: rows.filter((r) => r.id !== null).map(toStoredEvent),
  };
}
