/**
 * The one transient-error classifier, for PostgreSQL (node-postgres, PGlite)
 * and network (`fetch`, sockets) errors. It answers what a failed call proves
 * about its effect, because that decides whether trying again is safe:
 *
 * - an error the server sent for the statement proves it failed and rolled back;
 * - a refused connection proves the request never left;
 * - a broken connection, a client timeout or a server shutdown proves nothing:
 *   the statement may have committed after the client stopped listening. Such
 *   an outcome must be found out (or the operation must be idempotent), never
 *   assumed — an error that does not prove a rollback is `'unknown'`.
 */
import { pgErrorCode } from '../core/sql-client.js';
import {
  BROKEN_ERRNOS,
  BROKEN_MESSAGES,
  CONNECT_ERRNOS,
  CONNECT_MESSAGES,
  CONNECTION_EXCEPTION_CLASS,
  FETCH_FAILURE_MESSAGES,
  REFUSED_SQLSTATES,
  ROLLED_BACK_SQLSTATES,
  SHUTDOWN_SQLSTATES,
} from '../core/sql-errors.js';

/**
 * How a failed call ended, as far as the caller can know:
 * - `'not_sent'`: no connection could be made; the request never reached the server;
 * - `'unknown'`: the connection broke or timed out while the call ran; it may have taken effect;
 * - `'rolled_back'`: the server aborted it so that it may simply run again (deadlock, serialization failure,
 *   a statement or lock timeout, memory or disk exhausted);
 * - `'failed'`: the server refused it (or the error is not about the connection); retrying will not help.
 *
 * @example
 * ```ts
 * const retryable = FAILURE_KINDS.filter((k) => k !== 'failed');
 * ```
 */
export const FAILURE_KINDS = ['not_sent', 'unknown', 'rolled_back', 'failed'] as const;
/** One of {@link FAILURE_KINDS}. */
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Options of {@link classifyFailure}. */
export interface ClassifyOptions {
  /**
   * Also read network errors of `fetch`: follow the `cause` of an error that
   * has no code, and know fetch's network `TypeError`s and `TimeoutError`.
   * Default true. False classifies the error itself, as a database driver
   * raises it — for code that must not mistake a handler's failed HTTP call
   * for its own database going away.
   */
  network?: boolean;
}

/** How deep to follow `cause` chains (fetch wraps the socket error once or twice). */
const MAX_CAUSE_DEPTH = 5;

/**
 * Classify a failed database or network call.
 *
 * @example
 * ```ts
 * try { await sql.query(write); }
 * catch (err) { if (classifyFailure(err) === 'unknown') await findOutWhetherItCommitted(); }
 * ```
 */
export function classifyFailure(err: unknown, options: ClassifyOptions = {}): FailureKind {
  return classify(err, 0, options.network !== false);
}

function classify(err: unknown, depth: number, network: boolean): FailureKind {
  const code = pgErrorCode(err);
  if (code !== undefined) {
    if (REFUSED_SQLSTATES.has(code) || CONNECT_ERRNOS.has(code)) return 'not_sent';
    if (
      SHUTDOWN_SQLSTATES.has(code) ||
      code.startsWith(CONNECTION_EXCEPTION_CLASS) ||
      BROKEN_ERRNOS.has(code)
    ) {
      return 'unknown';
    }
    if (ROLLED_BACK_SQLSTATES.has(code)) return 'rolled_back';
    // A five-character SQLSTATE is the server's own answer to the statement.
    if (/^[0-9A-Z]{5}$/.test(code)) return 'failed';
  } else if (network && err instanceof Error && err.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    // An error without a code of its own (fetch's `TypeError: fetch failed`)
    // carries the socket error that says what happened as its cause.
    const inner = classify(err.cause, depth + 1, network);
    if (inner !== 'failed') return inner;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (CONNECT_MESSAGES.test(message)) return 'not_sent';
  if (BROKEN_MESSAGES.test(message)) return 'unknown';
  if (network && err instanceof Error && (err.name === 'TimeoutError' || isFetchFailure(err)))
    return 'unknown';
  return 'failed';
}

function isFetchFailure(err: Error): boolean {
  return err instanceof TypeError && FETCH_FAILURE_MESSAGES.has(err.message);
}

/**
 * True when the connection, not the statement, failed (`'not_sent'` or
 * `'unknown'`): the database or the peer is unreachable. Such a failure says
 * nothing about the data, so it is never dead-lettered.
 *
 * @example
 * ```ts
 * if (isConnectionFailure(err, { network: false })) return reply(503, 'the database is unreachable');
 * ```
 */
export function isConnectionFailure(err: unknown, options: ClassifyOptions = {}): boolean {
  const kind = classifyFailure(err, options);
  return kind === 'not_sent' || kind === 'unknown';
}

/**
 * True when another attempt may succeed (anything but `'failed'`). Use it as
 * `shouldRetry` only for an operation that is safe to repeat after an
 * `'unknown'` outcome (idempotent, or fenced by a token); otherwise find out
 * first what the failed attempt did.
 *
 * @example
 * ```ts
 * await withRetry(() => store.record(owner, writes), DATABASE_RETRY_POLICY, { shouldRetry: isTransientFailure });
 * ```
 */
export function isTransientFailure(err: unknown, options: ClassifyOptions = {}): boolean {
  return classifyFailure(err, options) !== 'failed';
}
