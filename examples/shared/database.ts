/**
 * The hosts' database: a `pg.Pool` when a URL is given, else embedded PGlite.
 * A PostgreSQL restart sends every session 57P01 (administrator shutdown);
 * an idle pooled client then emits `error` on the pool, and a pool without
 * an `error` listener kills the process (node-postgres docs,
 * "pool.on('error')"). Here every pool and every client has one: a lost
 * connection is logged and dropped, the pool opens a new one on the next
 * query, and intake resumes as soon as the server is back.
 */
import pg from 'pg';
import { fromPg } from '@creatorflow/sync/pg';
import { fromPglite, openPglite } from '@creatorflow/sync/pglite';
import type { SqlClient } from '@creatorflow/sync';
import { describeError, type HostLog } from './host-log.js';

/** An open database. */
export interface HostDatabase {
  readonly sql: SqlClient;
  readonly engine: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL URL; PGlite when absent. */
  url?: string | undefined;
  /** PGlite directory; in memory when absent. */
  pgliteDir?: string | undefined;
  /** Pool size. Default 10. */
  max?: number;
  log: HostLog;
}

/**
 * Open the database.
 *
 * @example
 * ```ts
 * const db = await openDatabase({ url: process.env.DATABASE_URL, log });
 * const engine = createSyncEngine({ sql: db.sql });
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<HostDatabase> {
  if (!options.url) {
    const db = await openPglite(options.pgliteDir === undefined ? {} : { dataDir: options.pgliteDir });
    return { sql: fromPglite(db), engine: 'pglite', close: () => db.close() };
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    // A server that is down must fail a query quickly, not queue it forever.
    connectionTimeoutMillis: 5000,
    keepAlive: true,
  });
  const lost = connectionLossLog(options.log);
  // A checked-out client whose connection dies between queries emits `error`
  // on itself, where the pool does not listen.
  pool.on('connect', (client) => client.on('error', lost));
  // fromPg listens on the pool's `error` and reports its own connections'
  // losses (the priority lane that lease renewals take) to the same log.
  const sql = fromPg(pool, { onConnectionError: lost });
  return {
    sql,
    engine: 'postgres',
    async close() {
      await sql.close?.();
      await pool.end();
    },
  };
}

/** One warning per burst of lost connections (a restart drops them all at once). */
function connectionLossLog(log: HostLog): (err: Error) => void {
  let last = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 5000) {
      suppressed++;
      return;
    }
    const more = suppressed > 0 ? ` (and ${suppressed} more since the last report)` : '';
    log.warn(`database: connection lost: ${describeError(err)}${more}`);
    last = now;
    suppressed = 0;
  };
}
