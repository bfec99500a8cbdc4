/**
 * The in-process layer of a tier: an `lru-cache` bounded by bytes, plus an
 * `lru-cache` per user bounded by that user's budget. Each side's evictions
 * remove the entry from the other, so both limits hold. Those removals run in
 * `disposeAfter`, never `dispose`: removing from the other cache calls back
 * into this one, and lru-cache must not be re-entered mid-eviction (it would
 * free the evicted slot twice and its byte count would become NaN).
 */
import { LRUCache } from 'lru-cache';
import type { CacheEntry } from './cache-entry.js';

/** Limits of one tier's in-process layer. */
export interface MemoryLimits {
  /** Bytes (serialized size) for the whole tier. */
  maxBytes: number;
  /** Bytes per user (entries stored with `user`); absent = no per-user limit. */
  maxBytesPerUser?: number | undefined;
  /** Users whose budgets are tracked; the least recently used user's entries go first. */
  maxUsers: number;
}

/**
 * One tier's in-process entries.
 *
 * @example
 * ```ts
 * const layer = new MemoryLayer({ maxBytes: 64 * 2 ** 20, maxBytesPerUser: 2 ** 20, maxUsers: 10_000 });
 * layer.set('k', entry, 30_000);
 * ```
 */
export class MemoryLayer {
  readonly #entries: LRUCache<string, CacheEntry>;
  readonly #users: LRUCache<string, LRUCache<string, number>> | undefined;
  readonly #perUser: number | undefined;
  #evictions = 0;

  constructor(limits: MemoryLimits) {
    this.#perUser = limits.maxBytesPerUser;
    this.#entries = new LRUCache<string, CacheEntry>({
      maxSize: limits.maxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.size),
      disposeAfter: (entry, key, reason) => {
        if (reason === 'evict') this.#evictions++;
        if (entry.user !== undefined) this.#users?.peek(entry.user)?.delete(key);
      },
    });
    if (limits.maxBytesPerUser !== undefined) {
      this.#users = new LRUCache<string, LRUCache<string, number>>({
        max: limits.maxUsers,
        disposeAfter: (keys) => {
          for (const key of keys.keys()) this.#entries.delete(key);
        },
      });
    }
  }

  /** Entries evicted by a size limit so far. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  /** Bytes held for one user. */
  userBytes(user: string): number {
    return this.#users?.peek(user)?.calculatedSize ?? 0;
  }

  /** The entry (fresh or not), marking it recently used. */
  get(key: string): CacheEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry?.user !== undefined) this.#users?.get(entry.user)?.get(key);
    return entry;
  }

  /** Store `entry` for `retainMs`; false when it is larger than a limit (then nothing is kept). */
  set(key: string, entry: CacheEntry, retainMs: number): boolean {
    const size = Math.max(1, entry.size);
    this.#entries.delete(key);
    if (size > this.#entries.maxSize) return false;
    const user = entry.user;
    if (user !== undefined && this.#users && this.#perUser !== undefined) {
      if (size > this.#perUser) return false;
      let keys = this.#users.get(user);
      if (!keys) {
        keys = new LRUCache<string, number>({
          maxSize: this.#perUser,
          sizeCalculation: (bytes) => bytes,
          disposeAfter: (_bytes, evictedKey, reason) => {
            if (reason !== 'evict') return;
            // Over the user's budget: drop it from the tier too.
            if (this.#entries.peek(evictedKey)?.user === user) {
              this.#evictions++;
              this.#entries.delete(evictedKey);
            }
          },
        });
        this.#users.set(user, keys);
      }
      keys.set(key, size);
    }
    this.#entries.set(key, entry, { ttl: Math.max(1, retainMs), size });
    return true;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#users?.clear();
  }
}
