/**
 * A SqlClient in front of a real one whose matching statements can be made to
 * hang, like a connection that stopped answering, and later resumed. It sits
 * behind the same port as the real adapter, so the code under test cannot
 * tell the difference.
 */
import type { QueryOptions, SqlClient, SqlResult } from '../../src/core/sql-client.js';
import { HangGate } from './hang-gate.js';

/** The wrapper and its switch. */
export interface HangingSql {
  sql: SqlClient;
  /** From now on, matching statements wait (they have not reached the database). */
  hang(): void;
  /** Send the held statements and let new ones through. */
  resume(): void;
  /** Matching statements held so far (including resumed ones). */
  readonly held: number;
}

/**
 * Wrap `inner`; statements whose text matches `pattern` hang while `hang()` is on.
 *
 * @example
 * ```ts
 * const db = hangingSql(sql, /\.leases\b/); // every statement on the lease table
 * db.hang(); // renewals stop getting through
 * ```
 */
export function hangingSql(inner: SqlClient, pattern: RegExp): HangingSql {
  const gate = new HangGate();
  let held = 0;
  const sql: SqlClient = {
    query<Row = Record<string, unknown>>(
      text: string,
      params?: readonly unknown[],
      options?: QueryOptions,
    ): Promise<SqlResult<Row>> {
      if (!gate.hanging || !pattern.test(text)) return inner.query<Row>(text, params, options);
      held++;
      return gate.hold(() => inner.query<Row>(text, params, options));
    },
    exec: (text) => inner.exec(text),
    transaction: (fn) => inner.transaction(fn),
    ...(inner.listen ? { listen: inner.listen.bind(inner) } : {}),
    ...(inner.maxConcurrency !== undefined ? { maxConcurrency: inner.maxConcurrency } : {}),
    ...(inner.dialect !== undefined ? { dialect: inner.dialect } : {}),
    ...(inner.close ? { close: inner.close.bind(inner) } : {}),
  };
  return {
    sql,
    hang: () => gate.hang(),
    resume: () => gate.resume(),
    get held() {
      return held;
    },
  };
}
