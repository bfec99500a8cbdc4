/**
 * A node-postgres pool that counts the messages it sends (each
 * `query` of the pool or of a checked-out client is one round trip), for tests
 * that pin how many round trips a unit of work costs.
 */
import type pg from 'pg';
import type { PgClientLike, PgPoolLike } from '../../src/adapters/pg.js';

/** A pool in front of a real one, and the texts sent through it so far. */
export interface CountingPgPool {
  pool: PgPoolLike;
  /** Every message's text, in the order sent (clear it to start counting). */
  sent: string[];
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
  const textOf = (arg: unknown) => (typeof arg === 'string' ? arg : (arg as { text: string }).text);
  const pool: PgPoolLike = {
    options: { max: inner.options.max },
    on: (event, listener) => inner.on(event, listener),
    query: ((config: unknown, params?: unknown[]) => {
      sent.push(textOf(config));
      return inner.query(config as string, params);
    }) as PgPoolLike['query'],
    async connect() {
      const client = await inner.connect();
      const counted: PgClientLike = {
        query: ((config: unknown, params?: unknown[]) => {
          sent.push(textOf(config));
          return client.query(config as string, params);
        }) as PgClientLike['query'],
        release: (err) => client.release(err),
        on: (event, listener) => client.on(event, listener as never),
        removeListener: (event, listener) => client.removeListener(event, listener),
      };
      return counted;
    },
  };
  return { pool, sent };
}
