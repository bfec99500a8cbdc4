/**
 * The SQL port. Core code talks to PostgreSQL only through this structural
 * interface; `fromPg(pool)` and `fromPglite(db)` adapt the real drivers.
 */

/** Rows returned by a query. */
export interface SqlResult<Row> {
  rows: Row[];
  /** Rows affected by INSERT/UPDATE/DELETE, when the driver reports it. */
  rowCount?: number | null;
}

/**
 * Hints for one query.
 *
 * @example
 * ```ts
 * await sql.query('SELECT 1', [], { prepare: true });
 * ```
 */
export interface QueryOptions {
  /**
   * A hot statement with a fixed text: adapters that can (pg) prepare it once
   * per connection and reuse the plan. Never set it for SQL built per call.
   */
  prepare?: boolean;
  /**
   * Rows may come back as arrays of column values instead of objects, where
   * the adapter can (pg: `rowMode: 'array'`, which skips building an object per
   * row). A caller setting it must accept both shapes.
   */
  arrayRows?: boolean;
}

/** Something that runs parameterised SQL: a pool, a connection or an open transaction. */
export interface SqlQueryable {
  /** Run one statement with `$1..$n` parameters. */
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<SqlResult<Row>>;
  /** Run a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/** An open transaction; queries on it run inside BEGIN … COMMIT. */
export interface SqlTransaction extends SqlQueryable {
  /**
   * Send a statement without waiting for its answer, where the adapter can
   * pipeline (pg with node-postgres 8.2x; absent elsewhere — use
   * `queueStatement`, which falls back to `query`). It runs before every
   * later statement of the transaction, and goes out with the next one or with
   * COMMIT: for writes whose rows nobody reads and locks taken before a read.
   * Its failure fails the next statement or the commit. The promise (its
   * result) may be ignored: a rejection is never unhandled.
   */
  queue?<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<SqlResult<Row>>;
}

/** Stops a LISTEN subscription. */
export type Unlisten = () => Promise<void>;

/**
 * A database the library can use: queries, transactions and (optionally)
 * LISTEN/NOTIFY. Without `listen`, consumers fall back to polling.
 *
 * @example
 * ```ts
 * const sql: SqlClient = fromPg(pool);
 * await sql.transaction(async (tx) => { await tx.query('select 1'); });
 * ```
 */
export interface SqlClient extends SqlQueryable {
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Subscribe to `NOTIFY channel`; resolves once the LISTEN is active.
   * `onReconnect` runs each time the LISTEN is active again after its
   * connection broke: notifications sent meanwhile were lost.
   */
  listen?(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<Unlisten>;
  /** How many transactions may usefully run at once (1 for PGlite, pool size for pg). */
  readonly maxConcurrency?: number;
  /** A short name of the engine, e.g. `'pg'` or `'pglite'`, for logs and benchmarks. */
  readonly dialect?: string;
  /**
   * A lane for tiny statements that must not wait behind the others: lease
   * renewals and releases. A host whose pooled connections are all busy still
   * renews its leases in time, instead of fencing its own work after
   * `leaseMs − heartbeatMs` for another host to claim. pg: one connection of
   * its own, outside the pool. Absent (PGlite has one connection): such
   * statements take the usual path (`priorityLaneOf`). Never for data
   * statements, claims or anything slow: they would queue the renewals again.
   */
  readonly priorityLane?: SqlQueryable;
  /** Release what the adapter itself opened (listen and lane connections); never closes the host's pool. */
  close?(): Promise<void>;
}

/**
 * Where lease renewals and releases go: `sql`'s priority lane when it has one
 * ({@link SqlClient.priorityLane}), else `sql` itself (a transaction, PGlite).
 *
 * @example
 * ```ts
 * await priorityLaneOf(sql).query('UPDATE app.leases SET expires_at = now() + interval \'6 s\' WHERE name = $1', ['x']);
 * ```
 */
export function priorityLaneOf(sql: SqlQueryable): SqlQueryable {
  return (sql as SqlClient).priorityLane ?? sql;
}

/** PostgreSQL error codes the library branches on. */
export const PG_ERROR = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  undefinedTable: '42P01',
  duplicateTable: '42P07',
  duplicateObject: '42710',
} as const;

/** The SQLSTATE code of a driver error, if it has one. */
export function pgErrorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Quote an SQL identifier (schema, table) safely.
 *
 * @example
 * ```ts
 * `select * from ${quoteIdent('creatorflow')}.events`
 * ```
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Send a statement whose rows the caller does not need: queued in `sql`'s
 * transaction where the adapter pipelines ({@link SqlTransaction.queue}:
 * resolves at once, a failure fails the transaction's next statement or its
 * commit), otherwise run and waited for. Either way it runs before any later
 * statement sent through `sql`.
 *
 * @example
 * ```ts
 * await queueStatement(tx, 'SELECT pg_advisory_xact_lock($1)', [42]); // goes out with the next statement
 * const { rows } = await tx.query('SELECT * FROM app.stock WHERE sku = $1', ['a']);
 * ```
 */
export async function queueStatement(
  sql: SqlQueryable | SqlTransaction,
  text: string,
  params?: readonly unknown[],
  options?: QueryOptions,
): Promise<void> {
  if ('queue' in sql && sql.queue) void sql.queue(text, params, options);
  else await sql.query(text, params, options);
}
