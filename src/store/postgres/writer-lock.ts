/**
 * Every append transaction holds a shared advisory lock on its store before it
 * writes. Readers look up the holders' transaction ids in `pg_locks`: only
 * those writers can still commit events behind a reader's checkpoint, so only
 * they hold readers back — not every open transaction on the server, as a
 * plain `pg_snapshot_xmin` horizon would. The horizon itself is computed by
 * the server (`log_horizon`, store migrations 0004 and 0005), in the same
 * round trip as the read it bounds; it reads `pg_locks` only when neither an
 * empty snapshot nor a momentary exclusive grant of this lock proves that no
 * writer with an id is running.
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
