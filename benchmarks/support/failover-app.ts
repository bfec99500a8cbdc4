/**
 * What each worker process of the failover benchmark runs: a projection-like
 * processor writing one row per `order.placed` event, and a three-step saga
 * per event whose steps call a fake provider that honours idempotency keys the
 * way a remote service does — by looking the key up, doing the (slow) work,
 * then recording it. Two executions of one step at once would both record the
 * effect; one after the other, the second finds the key and does nothing.
 * Every call is logged too, so re-executions show up.
 */
import { quoteIdent, type SqlClient } from '../../src/core/sql-client.js';
import { defineSaga, type SagaDefinition } from '../../src/sagas/index.js';

/** The event the load appends; each starts one saga. */
export const ORDER_PLACED = 'order.placed';
/** The processor's name (and, with `processor:`, its lease's). */
export const FAILOVER_PROCESSOR = 'failover_projection';

/**
 * Tables the benchmark reads: `projected` (one row per event the processor
 * handled, a second would violate the key), `effects` (what the provider
 * did) and `calls` (every call of a step), all stamped with the database clock.
 *
 * @example
 * ```ts
 * await sql.exec(failoverDdl(schema));
 * ```
 */
export function failoverDdl(schema: string): string {
  const s = quoteIdent(schema);
  return `
    CREATE TABLE ${s}.projected (event_id text PRIMARY KEY, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE TABLE ${s}.effects (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, idempotency_key text NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE INDEX ON ${s}.effects (idempotency_key);
    CREATE TABLE ${s}.calls (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, saga_id text NOT NULL, idempotency_key text NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());`;
}

/**
 * The saga: three steps, each a provider call taking `stepMs`.
 *
 * @example
 * ```ts
 * const saga = failoverSaga({ sql, schema, worker: 'worker-a', stepMs: 200 });
 * ```
 */
export function failoverSaga(options: {
  sql: SqlClient;
  schema: string;
  worker: string;
  stepMs: number;
}): SagaDefinition<{ orderId: string }> {
  const { sql, worker, stepMs } = options;
  const s = quoteIdent(options.schema);
  const provider = async (sagaId: string, key: string, signal: AbortSignal): Promise<void> => {
    await sql.query(`INSERT INTO ${s}.calls (saga_id, idempotency_key, worker) VALUES ($1, $2, $3)`, [
      sagaId,
      key,
      worker,
    ]);
    const { rows } = await sql.query(`SELECT 1 FROM ${s}.effects WHERE idempotency_key = $1`, [key]);
    if (rows.length > 0) return; // done before, under this key
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, stepMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), {
        once: true,
      });
    });
    await sql.query(`INSERT INTO ${s}.effects (idempotency_key, worker) VALUES ($1, $2)`, [key, worker]);
  };
  return defineSaga({
    name: 'failover_order',
    steps: ['reserve', 'charge', 'ship'].map((name, i, all) => ({
      name,
      action: ({
        sagaId,
        idempotencyKey,
        signal,
      }: {
        sagaId: string;
        idempotencyKey: string;
        signal: AbortSignal;
      }) => provider(sagaId, idempotencyKey, signal),
      compensation: i === all.length - 1 ? ('none' as const) : { name: `undo_${name}`, run: () => undefined },
    })),
  });
}
