/**
 * A SqlClient in front of a real one whose matching statements can be made to
 * hang, like a connection that stopped answering, and later resumed. It sits
 * behind the same port as the real adapter, so the code under test cannot
 * tell the difference.
 */
import type { SqlClient } from '../../src/core/sql-client.js';
import { HangGate } from './hang-gate.js';
import { interceptSql } from './intercept-sql.js';

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
  const sql = interceptSql(inner, (text, _params, next) => {
    if (!gate.hanging || !pattern.test(text)) return next();
    held++;
    return gate.hold(next);
  });
  return {
    sql,
    hang: () => gate.hang(),
    resume: () => gate.resume(),
    get held() {
      return held;
    },
  };
}
