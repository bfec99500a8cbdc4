/**
 * One cached value as both layers keep it. `loadedAt` is the log position
 * the host had read when the loader started: the entry is current while no
 * tag of it was invalidated after that position.
 */
import { isLogPosition, type LogPosition } from './log-position.js';

/** A cached value with what decides whether it may still be served. */
export interface CacheEntry {
  /** The loader's result (`null` for a negative entry that was `undefined`, see `undef`). */
  value: unknown;
  /** True when the loader found nothing (`null` or `undefined`): a negative entry. */
  negative: boolean;
  /** The loader returned `undefined` (not `null`). */
  undef: boolean;
  tags: string[];
  loadedAt: LogPosition;
  /** Wall-clock time the loader started, ms. */
  loadedAtMs: number;
  /** Served fresh until then, ms. */
  expiresAt: number;
  /** Kept (for a caller that accepts a stale value) until then, ms. */
  staleUntil: number;
  /** Serialized size in bytes (what the LRU limits count). */
  size: number;
  /** Whose budget the entry counts against, when the tier has per-user limits. */
  user?: string;
}

/** The value a caller gets back from an entry. */
export function entryValue(entry: CacheEntry): unknown {
  return entry.undef ? undefined : entry.value;
}

/**
 * Parse an entry read from Redis; null when it is not one of ours. Every field
 * a read decides on is checked, so a garbled or foreign value under the key
 * (another version, another application on the prefix) is a miss: a
 * `loadedAt` that is not a log position made every read of the key throw
 * (it is turned back into a checkpoint) or be served as current forever.
 */
export function parseEntry(text: string): CacheEntry | null {
  try {
    const e = JSON.parse(text) as Partial<CacheEntry> | null;
    if (
      typeof e !== 'object' ||
      e === null ||
      !isLogPosition(e.loadedAt) ||
      typeof e.expiresAt !== 'number' ||
      typeof e.staleUntil !== 'number' ||
      typeof e.loadedAtMs !== 'number' ||
      typeof e.negative !== 'boolean' ||
      typeof e.undef !== 'boolean' ||
      (e.user !== undefined && typeof e.user !== 'string') ||
      !Array.isArray(e.tags) ||
      !e.tags.every((tag) => typeof tag === 'string')
    )
      return null;
    return { ...(e as CacheEntry), size: Buffer.byteLength(text) };
  } catch {
    return null;
  }
}

/** What {@link buildEntry} stamps on a loaded value. */
export interface EntryStamp {
  tags: readonly string[];
  loadedAt: LogPosition;
  loadedAtMs: number;
  now: number;
  ttlMs: number;
  graceMs: number;
  user: string | undefined;
}

/**
 * The entry for a loaded value and its serialized form (what Redis stores
 * and the LRU limits count); null when the value is not JSON-serializable.
 *
 * @example
 * ```ts
 * const built = buildEntry({ n: 1 }, { tags: ['orders:c1'], loadedAt, loadedAtMs, now, ttlMs: 30_000, graceMs: 0, user: undefined });
 * ```
 */
export function buildEntry(
  value: unknown,
  stamp: EntryStamp,
): { entry: CacheEntry; serialized: string } | null {
  const entry: CacheEntry = {
    value: value === undefined ? null : value,
    negative: value === null || value === undefined,
    undef: value === undefined,
    tags: [...stamp.tags],
    loadedAt: stamp.loadedAt,
    loadedAtMs: stamp.loadedAtMs,
    expiresAt: stamp.now + stamp.ttlMs,
    staleUntil: stamp.now + stamp.ttlMs + stamp.graceMs,
    size: 0,
    ...(stamp.user === undefined ? {} : { user: stamp.user }),
  };
  let serialized: string;
  try {
    serialized = JSON.stringify(entry);
  } catch {
    return null;
  }
  if (serialized === undefined) return null;
  entry.size = Buffer.byteLength(serialized);
  return { entry, serialized };
}
