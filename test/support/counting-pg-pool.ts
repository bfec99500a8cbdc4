/**
 * A node-postgres pool that records the statements it sends and counts round
 * trips, for tests that pin what a unit of work costs: each `query` of the
 * pool is one; on a checked-out client each statement is one, except one
 * written while the client pipelines and an earlier one is still unanswered
 * (it rides along with it).
 */
import type pg from 'pg';
import type { PgClientLike, PgPoolLike } from '../../src/adapters/pg.js';

/** A pool in front of a real one, and the texts sent through it so far. */
export interface CountingPgPool {
  pool: PgPoolLike;
  /** Every message's text, in the order sent (clear it to start counting). */
  sent: string[];
  /** Round trips so far (set it to 0 to start counting). */
  roundTrips: { count: number };
}

/**
 * Wrap `inner`, recording each query's text.
 *
 * @example
 * ```ts
 * const { pool, sent } = countingPgPool(new pg.Pool({ connectionString }));
 * const sql = fromPg(pool);
 * ```
 */
export function countingPgPool(inner: pg.Pool): CountingPgPool {
  const sent: string[] = [];
  const roundTrips = { count: 0 };
  const textOf = (arg: unknown) => (typeof arg === 'string' ? arg : (arg as { text: string }).text);
  const pool: PgPoolLike = {
    options: { max: inner.options.max },
    on: (event, listener) => inner.on(event, listener),
    query: ((config: unknown, params?: unknown[]) => {
      sent.push(textOf(config));
      roundTrips.count++;
      return inner.query(config as string, params);
    }) as PgPoolLike['query'],
    async connect() {
      const client = await inner.connect();
      let unanswered = 0;
      const counted: PgClientLike = {
        query: ((config: unknown, params?: unknown[]) => {
          sent.push(textOf(config));
          if (!client.pipeline || unanswered === 0) roundTrips.count++;
          unanswered++;
          const answer = client.query(config as string, params);
          const answered = () => {
            unanswered--;
          };
          answer.then(answered, answered);
          return answer;
        }) as PgClientLike['query'],
        get pipeline() {
          return client.pipeline;
        },
        set pipeline(on: boolean) {
          (client as { pipeline: boolean }).pipeline = on;
        },
        release: (err) => client.release(err),
        on: (event, listener) => client.on(event, listener as never),
        removeListener: (event, listener) => client.removeListener(event, listener),
      };
      return counted;
    },
  };
  return { pool, sent, roundTrips };
}
