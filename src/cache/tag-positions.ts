/**
 * What a host knows about invalidations: for each tag, the log position of
 * the last event that invalidated it. An entry loaded at position P is
 * current when no tag of it was invalidated after P — the same test for the
 * in-process copy and for a copy another host wrote to Redis, so neither a
 * lost bus message nor a Redis restart can make an old copy look current.
 */
import { LRUCache } from 'lru-cache';
import { broadTag } from './invalidation-rules.js';
import type { LogPosition } from './log-position.js';

/** Options of {@link TagPositions}. */
export interface TagPositionsOptions {
  /** Tags remembered; a forgotten tag counts as invalidated at the highest forgotten position. */
  maxTags: number;
  /** The log position the host started following from (tags are unknown before it). */
  start: LogPosition;
}

/**
 * Per-tag invalidation positions (from the log) and times (from explicit
 * `invalidateTags` calls), bounded by an LRU whose evictions raise a floor so
 * forgetting a tag can only make entries look older, never newer.
 *
 * @example
 * ```ts
 * const tags = new TagPositions({ maxTags: 10_000, start: logPosition('0:0') });
 * tags.invalidate(['orders:c1'], logPosition('7:12'));
 * tags.isCurrent(['orders:c1'], logPosition('7:11'), 0) // false
 * ```
 */
export class TagPositions {
  #floor: LogPosition;
  #latest: LogPosition;
  /** A tag was forgotten: the floor then also stands for it and cannot be lowered. */
  #forgot = false;
  readonly #positions: LRUCache<string, LogPosition>;
  #manualFloor = 0;
  #manualLatest = 0;
  readonly #manual: LRUCache<string, number>;

  constructor(options: TagPositionsOptions) {
    this.#floor = options.start;
    this.#latest = options.start;
    this.#positions = new LRUCache<string, LogPosition>({
      max: options.maxTags,
      dispose: (position, _tag, reason) => {
        if (reason !== 'evict') return;
        this.#forgot = true;
        if (position > this.#floor) this.#floor = position;
      },
    });
    this.#manual = new LRUCache<string, number>({
      max: options.maxTags,
      dispose: (time, _tag, reason) => {
        if (reason === 'evict' && time > this.#manualFloor) this.#manualFloor = time;
      },
    });
  }

  /** The highest position any tag was invalidated at (or the start). */
  get latest(): LogPosition {
    return this.#latest;
  }

  /** Below this position nothing is known: a tagged entry loaded earlier is not current. */
  get floor(): LogPosition {
    return this.#floor;
  }

  /**
   * After the log from `position` up to the floor has been applied (a
   * backfill), know it: lower the floor. Refused (false) once a tag was forgotten.
   */
  lowerFloor(position: LogPosition): boolean {
    if (this.#forgot) return false;
    if (position < this.#floor) this.#floor = position;
    return true;
  }

  /** Record that `tags` were invalidated by the event at `position`. */
  invalidate(tags: Iterable<string>, position: LogPosition): void {
    for (const tag of tags) {
      const known = this.#positions.peek(tag);
      if (known !== undefined && known >= position) continue;
      // A tag not remembered may have been forgotten at a later position: keep the floor's word for it.
      const at = known === undefined && this.#forgot && this.#floor > position ? this.#floor : position;
      this.#positions.set(tag, at);
    }
    if (position > this.#latest) this.#latest = position;
  }

  /** Record an invalidation that did not come from the log, at wall-clock `timeMs`. */
  invalidateAt(tags: Iterable<string>, timeMs: number): void {
    for (const tag of tags) this.#manual.set(tag, Math.max(this.#manual.peek(tag) ?? 0, timeMs));
    if (timeMs > this.#manualLatest) this.#manualLatest = timeMs;
  }

  /**
   * Whether an entry with `tags`, loaded when the log stood at `loadedAt` and
   * the clock at `loadedAtMs`, has not been invalidated since.
   */
  isCurrent(tags: readonly string[], loadedAt: LogPosition, loadedAtMs: number): boolean {
    if (tags.length === 0) return true;
    if (loadedAt < this.#latest || loadedAt < this.#floor) {
      for (const tag of tags) {
        if (this.#positionOf(tag) > loadedAt) return false;
      }
    }
    if (loadedAtMs <= this.#manualLatest) {
      for (const tag of tags) {
        if (this.#timeOf(tag) >= loadedAtMs) return false;
      }
    }
    return true;
  }

  /** A tag's last invalidation, counting its broad tag's (`orders` covers `orders:c1`). */
  #positionOf(tag: string): LogPosition {
    const own = this.#positions.peek(tag) ?? this.#floor;
    const base = broadTag(tag);
    if (base === tag) return own;
    const broad = this.#positions.peek(base) ?? this.#floor;
    return broad > own ? broad : own;
  }

  #timeOf(tag: string): number {
    const own = this.#manual.peek(tag) ?? this.#manualFloor;
    const base = broadTag(tag);
    return base === tag ? own : Math.max(own, this.#manual.peek(base) ?? this.#manualFloor);
  }
}
