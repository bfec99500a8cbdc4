/**
 * The reader's horizon computed inside the statement that reads the page, so a
 * page is one round trip.
 *
 * The statement reads its rows with one snapshot S, taken before the lock
 * table is read, so a writer could end — and release its lock — in between:
 * the lock table would no longer show it, yet S does not see its rows. Hence
 * the extra rule for the transactions S lists as running (`pg_snapshot_xip`):
 * each one that still holds the writer lock, or has ended by the time we ask
 * (`pg_xact_status`, evaluated after the lock table was read), caps the
 * horizon. A writer takes the lock before it has a transaction id, so any
 * writer running in S held the lock from before S until after it ended: if
 * the lock table does not show it, it has ended and the status check catches
 * it. Transactions S saw as finished are visible in S; ids at or above S's
 * xmax are above the horizon. So every transaction below the horizon that
 * wrote events is visible in S, and the page never passes a late commit.
 * Running transactions that are not writers still do not hold readers back.
 */
import { WRITER_HORIZON } from './writer-lock.js';

/**
 * A `WITH` clause defining `horizon(xid)` (one row, xid8) for the snapshot of
 * the statement it starts. Takes the writer-lock keys as `$1`, `$2`.
 *
 * The order the proof needs is structural: the status checks run in a
 * subquery correlated to the `writers` row, so the lock table has been read
 * before the first of them. The `CASE` only spares writers the status lookup.
 */
export const SNAPSHOT_HORIZON = `WITH writers AS MATERIALIZED (${WRITER_HORIZON}),
horizon AS MATERIALIZED (
  SELECT least(w.xmax::xid8, (
           SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
            WHERE CASE WHEN mod(x::text::numeric, 4294967296)::text = ANY (w.writers) THEN true
                       ELSE pg_xact_status(x) <> 'in progress' END)) AS xid
    FROM writers w)`;
