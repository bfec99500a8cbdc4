/**
 * The bounded replay buffer of one channel: the last batches, and the floor
 * below which it no longer knows what happened (a resume older than that
 * gets a snapshot instead).
 */
import { type LogCheckpoint, compareCheckpoints, isCheckpoint } from '../core/checkpoint.js';
import type { ChangeBatch } from './fold.js';

/** Bounds of a replay buffer. */
export interface ReplayLimits {
  /** Most batches kept. Default 1,000. */
  maxBatches?: number;
  /** Most folded changes kept over all batches. Default 50,000. */
  maxChanges?: number;
}

/**
 * A channel's replay buffer.
 *
 * @example
 * ```ts
 * const log = new ChannelLog({ maxBatches: 100 }, '0:0');
 * log.append(batch); log.covers('5:10') && log.since('5:10');
 * ```
 */
export class ChannelLog {
  readonly #maxBatches: number;
  readonly #maxChanges: number;
  #batches: ChangeBatch[] = [];
  #changes = 0;
  #floor: LogCheckpoint | null;
  #head: LogCheckpoint | null = null;
  /** The newest position this log has seen (batches and snapshots). */
  #latest: LogCheckpoint | null = null;
  /** Cursors at or before this were handed out before a `clear()`. */
  #barrier: LogCheckpoint | null = null;

  constructor(limits: ReplayLimits = {}, floor: LogCheckpoint | null = null) {
    this.#maxBatches = limits.maxBatches ?? 1000;
    this.#maxChanges = limits.maxChanges ?? 50_000;
    this.#floor = floor;
    this.#head = floor;
    this.#latest = floor;
  }

  /** Cursor of the newest batch (or the floor when none). */
  get head(): LogCheckpoint | null {
    return this.#head;
  }

  /** The newest position this log has seen: a batch, a snapshot or its start (null: none). */
  get latest(): LogCheckpoint | null {
    return this.#latest;
  }

  /**
   * True when `cursor` is not past anything this log has seen. A cursor past
   * it was handed out elsewhere (another host, or another database instance):
   * whether it can be resumed depends on the read model, not on this buffer.
   */
  knows(cursor: LogCheckpoint): boolean {
    return isCheckpoint(cursor) && this.#latest !== null && compareCheckpoints(cursor, this.#latest) <= 0;
  }

  /** Everything after this cursor is in the buffer (null: unknown). */
  get floor(): LogCheckpoint | null {
    return this.#floor;
  }

  /** Whether a batch with this cursor is held (a second delivery of it changes nothing). */
  holds(cursor: LogCheckpoint): boolean {
    return this.#batches.some((b) => b.cursor === cursor);
  }

  /** Number of batches held. */
  get size(): number {
    return this.#batches.length;
  }

  /** Add a batch; false (and nothing kept) when it is not newer than the head (a duplicate delivery). */
  append(batch: ChangeBatch): boolean {
    if (this.#head !== null && compareCheckpoints(batch.cursor, this.#head) <= 0) return false;
    this.#batches.push(batch);
    this.#changes += batch.changes.length;
    this.#head = batch.cursor;
    this.#latest =
      this.#latest === null || compareCheckpoints(batch.cursor, this.#latest) > 0
        ? batch.cursor
        : this.#latest;
    while (
      this.#batches.length > this.#maxBatches ||
      (this.#changes > this.#maxChanges && this.#batches.length > 1)
    ) {
      const evicted = this.#batches.shift()!;
      this.#changes -= evicted.changes.length;
      this.#floor = evicted.cursor;
    }
    return true;
  }

  /**
   * A snapshot at `checkpoint` was read while this log was being fed: every
   * change after it reaches the log, so with nothing evicted yet, the log
   * covers resumes from there on (a client holding only that snapshot's cursor
   * resumes without another snapshot).
   */
  noteSnapshot(checkpoint: LogCheckpoint): void {
    if (!isCheckpoint(checkpoint)) return;
    this.#latest =
      this.#latest === null || compareCheckpoints(checkpoint, this.#latest) > 0 ? checkpoint : this.#latest;
    if (this.#floor === null) this.#floor = checkpoint;
  }

  /**
   * Forget everything: resumes from before now need a snapshot (after a
   * rebuild) — and from at or before `before`, the newest position of the
   * replaced rows, which cursors handed out elsewhere may reach.
   */
  clear(before: LogCheckpoint | null = null): void {
    this.#batches = [];
    this.#changes = 0;
    this.#floor = null;
    // A cursor handed out before now describes rows that no longer exist.
    let barrier = this.#latest;
    for (const c of [this.#barrier, isCheckpoint(before) ? before : null]) {
      if (c !== null && (barrier === null || compareCheckpoints(c, barrier) > 0)) barrier = c;
    }
    this.#barrier = barrier;
  }

  /** True when every batch after `cursor` is still here (so a resume needs no snapshot). */
  covers(cursor: LogCheckpoint): boolean {
    if (!isCheckpoint(cursor)) return false;
    if (this.#barrier !== null && compareCheckpoints(cursor, this.#barrier) <= 0) return false;
    if (this.#floor !== null && compareCheckpoints(cursor, this.#floor) >= 0) return true;
    return this.#batches.some((b) => b.cursor === cursor);
  }

  /** The batches after `cursor`, oldest first. */
  since(cursor: LogCheckpoint): ChangeBatch[] {
    let i = this.#batches.length;
    while (i > 0 && compareCheckpoints(this.#batches[i - 1]!.cursor, cursor) > 0) i--;
    return this.#batches.slice(i);
  }
}
