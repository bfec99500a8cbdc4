/**
 * PostgreSQL plumbing for benchmarks: the server URL, pools, throw-away schemas.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The benchmark database (override with BENCH_PG_URL). */
export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// Emmett's driver (dumbo) replaces pg's *global* parsers for int8/json/jsonb when
// it opens a pool. Our pools pin pg's stock parsers, captured here before any
// Emmett pool exists, so both stores are measured with the parsers they ship with.
const PINNED_OIDS = [20, 114, 3802] as const;
const stockParsers = new Map(PINNED_OIDS.map((oid) => [oid, pg.types.getTypeParser(oid, 'text')]));
const stockTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && stockParsers.has(oid as (typeof PINNED_OIDS)[number])
      ? stockParsers.get(oid as (typeof PINNED_OIDS)[number])!
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Options of {@link openPool}. */
export interface BenchPoolOptions {
  max: number;
  /** Put this schema first on every connection's search_path. */
  searchPath?: string;
  /** Keep pg's stock type parsers even after Emmett changed the global ones. Default true. */
  stockTypes?: boolean;
  /** `application_name` of the connections (lets the CPU meter find their backends). */
  applicationName?: string;
  /** Connect to this database on the same server instead of the one in {@link PG_URL}. */
  database?: string;
}

/**
 * {@link PG_URL} pointing at another database on the same server.
 *
 * @example
 * ```ts
 * databaseUrl('bench_emmett_3fa9c1'); // 'postgres://postgres@127.0.0.1:5432/bench_emmett_3fa9c1'
 * ```
 */
export function databaseUrl(database: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/**
 * A pg pool on {@link PG_URL}.
 *
 * @example
 * ```ts
 * const pool = openPool({ max: 16 });
 * ```
 */
export function openPool(options: BenchPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.database ? databaseUrl(options.database) : PG_URL,
    max: options.max,
    // Keep backends for the whole run, so their CPU time can be read at the end.
    idleTimeoutMillis: 0,
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    ...(options.stockTypes === false ? {} : { types: stockTypes }),
  });
  // An idle connection dropped at teardown (DROP DATABASE … WITH (FORCE)) must not crash the run.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A fresh schema name, unique to this process and call (nothing is created).
 *
 * @example
 * ```ts
 * const schema = freshSchemaName('bench_ours'); // 'bench_ours_3fa9c1'
 * ```
 */
export function freshSchemaName(prefix: string): string {
  return `${prefix}_${randomBytes(3).toString('hex')}`;
}

/**
 * Drop a schema and everything in it.
 *
 * @example
 * ```ts
 * await dropSchema(schema);
 * ```
 */
export async function dropSchema(schema: string): Promise<void> {
  const pool = openPool({ max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}

/**
 * Create an empty database on the benchmark server.
 *
 * @example
 * ```ts
 * await createDatabase('bench_emmett_3fa9c1');
 * ```
 */
export async function createDatabase(database: string): Promise<void> {
  const pool = openPool({ max: 1 });
  try {
    await pool.query(`CREATE DATABASE "${database}"`);
  } finally {
    await pool.end();
  }
}

/**
 * Drop a database, closing any connection still open on it.
 *
 * @example
 * ```ts
 * await dropDatabase('bench_emmett_3fa9c1');
 * ```
 */
export async function dropDatabase(database: string): Promise<void> {
  const pool = openPool({ max: 1 });
  try {
    await pool.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await pool.end();
  }
}
