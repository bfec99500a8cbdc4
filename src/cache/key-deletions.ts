/**
 * Explicit `delete(key)`s remembered as wall-clock times per key, so a load
 * that began before a delete cannot put its older copy back afterwards (in
 * process or in Redis): the copy is stamped with the time its loader
 * started, and a copy loaded at or before the key's deletion is not current.
 */
import { LRUCache } from 'lru-cache';

/**
 * Per-key deletion times, bounded by an LRU whose evictions raise a floor
 * (a forgotten key counts as deleted at the latest forgotten time, so
 * forgetting can only make copies look older).
 *
 * @example
 * ```ts
 * const deletions = new KeyDeletions(10_000);
 * deletions.record('order:1', 1_000);
 * deletions.deletedSince('order:1', 999) // true: loaded before the delete
 * deletions.deletedSince('order:1', 1_001) // false
 * ```
 */
export class KeyDeletions {
  #floor = 0;
  #latest = 0;
  readonly #times: LRUCache<string, number>;

  constructor(maxKeys: number) {
    this.#times = new LRUCache<string, number>({
      max: maxKeys,
      dispose: (time, _key, reason) => {
        if (reason === 'evict' && time > this.#floor) this.#floor = time;
      },
    });
  }

  /** Record that `key` was deleted at `timeMs`. */
  record(key: string, timeMs: number): void {
    this.#times.set(key, Math.max(this.#times.peek(key) ?? 0, timeMs));
    if (timeMs > this.#latest) this.#latest = timeMs;
  }

  /** Whether a copy of `key` whose loader started at `loadedAtMs` was deleted since (same millisecond counts). */
  deletedSince(key: string, loadedAtMs: number): boolean {
    if (loadedAtMs > this.#latest) return false;
    return (this.#times.peek(key) ?? this.#floor) >= loadedAtMs;
  }
}
