/**
 * The PostgreSQL and socket error codes the library reasons about, named in
 * one place. What they mean for a failed call (rolled back, never sent, or of
 * unknown outcome) is decided by `classifyFailure` in `src/runtime`.
 */
import { PG_ERROR } from './sql-client.js';

/**
 * SQLSTATEs the server raises to abort a transaction that may simply run
 * again: nothing it did was kept, and the cause is the server's condition at
 * that moment (another transaction, a timeout, memory or disk), not the
 * request. A canceled statement never commits, so a timeout proves a rollback.
 */
export const ROLLED_BACK_SQLSTATES: ReadonlySet<string> = new Set([
  PG_ERROR.serializationFailure, // 40001
  PG_ERROR.deadlockDetected, // 40P01
  '57014', // query_canceled: statement_timeout, pg_cancel_backend
  '55P03', // lock_not_available: lock_timeout, NOWAIT
  '53100', // disk_full
  '53200', // out_of_memory
]);

/** SQLSTATEs of a server going away under a running statement: admin_shutdown, crash_shutdown. */
export const SHUTDOWN_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02']);

/** SQLSTATEs refusing a new connection (nothing was sent): cannot_connect_now, too_many_connections, … */
export const REFUSED_SQLSTATES: ReadonlySet<string> = new Set(['57P03', '53300', '08001', '08004']);

/** The SQLSTATE class of connection exceptions (a connection that broke: outcome unknown). */
export const CONNECTION_EXCEPTION_CLASS = '08';

/** Socket and fetch (undici) errors raised before a connection existed: the request never left. */
export const CONNECT_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Socket and fetch (undici) errors of a connection that broke after sending: outcome unknown. */
export const BROKEN_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** node-postgres raises these as plain errors without a code: no connection was made. */
export const CONNECT_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i;

/** node-postgres raises these as plain errors without a code: the connection broke. */
export const BROKEN_MESSAGES =
  /Query read timeout|Connection terminated|terminating connection|Client has encountered a connection error|not queryable|socket hang up|Client was closed/i;

/** The `TypeError` messages of a failed `fetch` across runtimes (Node, browsers, Deno): the network failed. */
export const FETCH_FAILURE_MESSAGES: ReadonlySet<string> = new Set([
  'fetch failed',
  'Failed to fetch',
  'NetworkError when attempting to fetch resource.',
  'Load failed',
  'Network request failed',
  'terminated',
]);

/** Set on errors the library's SQL adapters raised (non-enumerable): they came from the database. */
const FROM_DATABASE = Symbol.for('creatorflow.sync.fromDatabase');

/**
 * Mark `err` as raised by the database through one of the library's SQL
 * adapters (`fromPg`, `fromPglite`), and return it. A failure of the host's
 * own database can then be told from the same socket error raised by a
 * provider's HTTP client (`ECONNRESET`, `socket hang up`).
 *
 * @example
 * ```ts
 * try { return await pool.query(text); } catch (err) { throw markDatabaseError(err); }
 * ```
 */
export function markDatabaseError(err: unknown): unknown {
  if (typeof err === 'object' && err !== null && Object.isExtensible(err) && !isDatabaseError(err)) {
    Object.defineProperty(err, FROM_DATABASE, { value: true, configurable: true });
  }
  return err;
}

/**
 * `answer`, its failure marked as the database's ({@link markDatabaseError}):
 * how the SQL adapters hand on what their driver returned.
 *
 * @example
 * ```ts
 * const result = await fromDatabase(pool.query(text));
 * ```
 */
export function fromDatabase<T>(answer: Promise<T>): Promise<T> {
  return answer.catch((err: unknown) => Promise.reject(markDatabaseError(err)));
}

/**
 * True when `err` was raised by the database through one of the library's SQL adapters.
 *
 * @example
 * ```ts
 * if (isDatabaseError(err) && isConnectionFailure(err)) pauseAndRetry();
 * ```
 */
export function isDatabaseError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[FROM_DATABASE] === true;
}
