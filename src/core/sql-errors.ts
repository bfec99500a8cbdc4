/**
 * What a database error says about the statement that raised it. An error the
 * server sent for the statement (a SQLSTATE outside the connection classes)
 * proves the statement failed and its implicit transaction rolled back. A
 * client timeout, a dropped connection or a server shutdown proves nothing:
 * the statement may have committed on the server after the client stopped
 * listening. Such an outcome must be found out, never assumed.
 */
import { pgErrorCode } from './sql-client.js';

/** How a failed database call ended, as far as the caller can know. */
export type SqlFailureOutcome =
  /** The server answered with an error: nothing the statement did was kept. */
  | 'failed'
  /** The connection broke or timed out while the statement ran: it may have committed. */
  | 'unknown'
  /** No connection could be opened: the statement never reached the server. */
  | 'not_sent';

/** SQLSTATEs of a server going away under a running statement. */
const SHUTDOWN_CODES = new Set(['57P01', '57P02']); // admin_shutdown, crash_shutdown
/** SQLSTATEs refusing a new connection: nothing was sent. */
const REFUSED_CODES = new Set(['57P03', '53300', '08001', '08004']); // cannot_connect_now, too_many_connections, …
/** Socket errors raised before a connection existed. */
const CONNECT_ERRNOS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Socket errors of a connection that broke. */
const BROKEN_ERRNOS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);
/** node-postgres raises these as plain errors without a code. */
const CONNECT_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i;
const BROKEN_MESSAGES =
  /Query read timeout|Connection terminated|terminating connection|Client has encountered a connection error|not queryable|socket hang up|Client was closed/i;

/**
 * Classify a failed database call.
 *
 * @example
 * ```ts
 * try { await sql.query(write); }
 * catch (err) { if (sqlFailureOutcome(err) === 'unknown') await findOutWhetherItCommitted(); }
 * ```
 */
export function sqlFailureOutcome(err: unknown): SqlFailureOutcome {
  const code = pgErrorCode(err);
  if (code !== undefined) {
    if (REFUSED_CODES.has(code) || CONNECT_ERRNOS.has(code)) return 'not_sent';
    if (SHUTDOWN_CODES.has(code) || code.startsWith('08') || BROKEN_ERRNOS.has(code)) return 'unknown';
    // A five-character SQLSTATE is the server's own answer to the statement.
    if (/^[0-9A-Z]{5}$/.test(code)) return 'failed';
  }
  const message = err instanceof Error ? err.message : String(err);
  if (CONNECT_MESSAGES.test(message)) return 'not_sent';
  if (BROKEN_MESSAGES.test(message)) return 'unknown';
  return 'failed';
}

/**
 * True when a failed call may succeed if made again on a fresh connection (the
 * server was unreachable or the connection broke). A write must still find out
 * what its first attempt did before writing again: see {@link sqlFailureOutcome}.
 *
 * @example
 * ```ts
 * if (isTransientSqlError(err)) scheduleRetry();
 * ```
 */
export function isTransientSqlError(err: unknown): boolean {
  return sqlFailureOutcome(err) !== 'failed';
}
