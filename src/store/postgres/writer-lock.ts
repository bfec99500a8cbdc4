/**
 * Every append transaction holds a shared advisory lock on its store before it
 * writes. Readers look up the holders' transaction ids in `pg_locks`: only
 * those writers can still commit events behind a reader's checkpoint, so only
 * they hold readers back — not every open transaction on the server, as a
 * plain `pg_snapshot_xmin` horizon would.
 */

/** `pg_locks.classid` of the store's writer lock ("CFSY"). */
const WRITER_LOCK_CLASS = 0x43465359;

/** The two int4 keys of a schema's writer lock (both positive, so they read back unchanged from pg_locks). */
export function writerLockKeys(schema: string): [number, number] {
  // FNV-1a, folded to 31 bits.
  let hash = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    hash ^= schema.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return [WRITER_LOCK_CLASS, (hash >>> 0) & 0x7fffffff];
}

/**
 * Transaction ids (32-bit, as text) of the writers holding the lock, and the
 * snapshot's xmin and xmax (xid8). Nothing below xmin is still running; every
 * transaction that had finished when the snapshot was taken is below xmax.
 */
export const WRITER_HORIZON = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
  pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
  ARRAY(SELECT t.transactionid::text
          FROM pg_locks w
          JOIN pg_locks t ON t.pid = w.pid AND t.locktype = 'transactionid'
                         AND t.mode = 'ExclusiveLock' AND t.granted
         WHERE w.locktype = 'advisory' AND w.granted AND w.objsubid = 2
           AND w.classid = $1::oid AND w.objid = $2::oid
           AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS writers`;

/**
 * The reader's horizon as an xid8: every transaction below it that wrote events
 * has finished (and, since locks are released after commit is visible, its
 * rows are visible to any later snapshot).
 */
export function horizonFrom(xmin: string, xmax: string, writers: readonly string[]): bigint {
  const base = BigInt(xmin);
  let horizon = BigInt(xmax);
  for (const text of writers) {
    // pg_locks shows 32-bit xids. A running (or later) writer's id is at or
    // above xmin and less than 2^32 past it, so it widens relative to xmin.
    const offset = (BigInt(text) - (base & 0xffffffffn) + 0x100000000n) & 0xffffffffn;
    const full = base + offset;
    if (full < horizon) horizon = full;
  }
  return horizon;
}
