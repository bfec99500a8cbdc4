/**
 * What the checker reads from the database: every event of the log (without
 * payloads), the streams, the sagas with their step log, and the orders the
 * saga trigger should have started. Plain rows, so the checks are pure
 * functions that unit tests feed with synthetic data.
 */
import { quoteIdent, type SqlClient } from '../../../src/core/sql-client.js';

/** One event of the log. */
export interface LogEvent {
  id: string;
  streamId: string;
  version: number;
  type: string;
  /** `metadata.correlationId` (a webhook's notification id for webhook events). */
  correlationId: string | null;
  /** `metadata.source`. */
  source: string | null;
  transactionId: string;
  position: number;
  /** `processed_at` (the writing transaction's start), epoch ms. */
  processedMs: number;
}

/** One row of `streams`. */
export interface StreamRow {
  streamId: string;
  version: number;
}

/** One saga. */
export interface SagaRow {
  sagaId: string;
  definition: string;
  status: string;
  error: unknown;
}

/** Completed entries of one (saga, step, phase) in the step log. */
export interface SagaStepCount {
  sagaId: string;
  step: string;
  phase: string;
  completed: number;
}

/** An order the trigger should have started a fulfillment saga for. */
export interface ReceivedOrder {
  creatorId: string;
  orderId: string;
}

/** Everything the log checks read. */
export interface LogData {
  events: LogEvent[];
  streams: StreamRow[];
  sagas: SagaRow[];
  steps: SagaStepCount[];
  receivedOrders: ReceivedOrder[];
}

/**
 * Read the log, streams and sagas of `schema`.
 *
 * @example
 * ```ts
 * const data = await loadLogData(sql, 'chaos');
 * ```
 */
export async function loadLogData(sql: SqlClient, schema: string): Promise<LogData> {
  const s = quoteIdent(schema);
  const { rows: events } = await sql.query<LogEvent>(
    `SELECT id::text AS id, aggregate_id AS "streamId", version::int AS version, event_type AS type,
            metadata->>'correlationId' AS "correlationId", metadata->>'source' AS source,
            transaction_id::text AS "transactionId", global_position::float8 AS position,
            (extract(epoch FROM processed_at) * 1000)::float8 AS "processedMs"
       FROM ${s}.events ORDER BY transaction_id, global_position`,
  );
  const { rows: streams } = await sql.query<StreamRow>(
    `SELECT stream_id AS "streamId", version::int AS version FROM ${s}.streams`,
  );
  const { rows: sagas } = await sql.query<SagaRow>(
    `SELECT saga_id AS "sagaId", definition, status, error FROM ${s}.sagas`,
  );
  const { rows: steps } = await sql.query<SagaStepCount>(
    `SELECT saga_id AS "sagaId", step_name AS step, phase,
            (count(*) FILTER (WHERE outcome = 'completed'))::int AS completed
       FROM ${s}.saga_steps GROUP BY saga_id, step_name, phase`,
  );
  const { rows: receivedOrders } = await sql.query<ReceivedOrder>(
    `SELECT DISTINCT event_data->>'creatorId' AS "creatorId", event_data->>'orderId' AS "orderId"
       FROM ${s}.events WHERE event_type = 'order.received_from_tiktok'`,
  );
  return { events, streams, sagas, steps, receivedOrders };
}
