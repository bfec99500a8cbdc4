/**
 * One cached value as both layers keep it. `loadedAt` is the log position
 * the host had read when the loader started: the entry is current while no
 * tag of it was invalidated after that position.
 */
import type { LogPosition } from './log-position.js';

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

/** Parse an entry read from Redis; null when it is not one of ours. */
export function parseEntry(text: string): CacheEntry | null {
  try {
    const e = JSON.parse(text) as Partial<CacheEntry>;
    if (
      typeof e.loadedAt !== 'string' ||
      typeof e.expiresAt !== 'number' ||
      typeof e.staleUntil !== 'number' ||
      typeof e.loadedAtMs !== 'number' ||
      !Array.isArray(e.tags)
    )
      return null;
    return { ...(e as CacheEntry), size: Buffer.byteLength(text) };
  } catch {
    return null;
  }
}
