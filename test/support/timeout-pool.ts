/**
 * A real pg pool whose client-side query timeout can be switched on and off
 * while it runs: the client gives up on a statement the server goes on with,
 * so the answer of a commit that lands is lost (an unknown outcome).
 */
import pg from 'pg';
import { postgresUrl } from './databases.js';

/** The pool (named `app` in pg_stat_activity) and its switch. */
export interface TimeoutPool {
  pool: pg.Pool;
  /** From now on every client of the pool gives up on a statement after `ms` (0: never). */
  giveUpAfter(ms: number): void;
}

/**
 * Open a pool of the test database; `pool.end()` closes it.
 *
 * @example
 * ```ts
 * const { pool, giveUpAfter } = timeoutPool('my_test');
 * giveUpAfter(1_000); // the next statement held past a second is given up on
 * ```
 */
export function timeoutPool(app: string): TimeoutPool {
  const pool = new pg.Pool({ connectionString: postgresUrl()!, application_name: app, max: 6 });
  pool.on('error', () => undefined); // terminated idle clients are expected where this is used
  const clients = new Set<pg.Client>();
  pool.on('connect', (c) => clients.add(c));
  return {
    pool,
    giveUpAfter(ms) {
      (pool.options as pg.PoolConfig).query_timeout = ms;
      // Connected clients read it per query from their parameters.
      for (const c of clients) {
        (
          c as unknown as { connectionParameters: { query_timeout?: number } }
        ).connectionParameters.query_timeout = ms;
      }
    },
  };
}
