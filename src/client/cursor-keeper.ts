/**
 * One subscription's resume position on the client: which envelopes to
 * apply (a `data` message not after the cursor is a duplicate and dropped),
 * and the cursor after each. Shared by the single-subscription client and
 * the multiplexed connection. Browser-safe.
 */
import { compareCheckpoints, isCheckpoint } from '../core/checkpoint.js';
import { resumeCursorCheckpoint } from '../core/resume-cursor.js';
import type { Envelope } from '../core/envelope.js';

/**
 * Tracks a subscription's cursor.
 *
 * @example
 * ```ts
 * const keeper = new CursorKeeper(savedCursor);
 * if (keeper.accept(envelope)) table.apply(envelope);
 * ```
 */
export class CursorKeeper {
  #cursor: string | null;
  /** Snapshots received, stale `data` messages dropped. */
  readonly stats = { resets: 0, duplicatesDropped: 0 };

  constructor(cursor: string | null = null) {
    this.#cursor = cursor;
  }

  /** The resume position. */
  get cursor(): string | null {
    return this.#cursor;
  }

  /** Take a non-error envelope: false when it is a duplicate to drop; otherwise the cursor moves. */
  accept(envelope: Envelope): boolean {
    const c = envelope.cursor;
    if (envelope.type === 'data' && c !== null && this.#cursor !== null && !this.#isAfter(c)) {
      this.stats.duplicatesDropped++;
      return false;
    }
    if (envelope.type === 'reset') this.stats.resets++;
    // A snapshot or data moves the cursor wherever it says; ready and heartbeat only forward.
    if (
      c !== null &&
      (envelope.type === 'reset' || envelope.type === 'data' || this.#cursor === null || this.#isAfter(c))
    ) {
      this.#cursor = c;
    }
    return true;
  }

  /** Cursors are opaque but for their order: by the checkpoint they stand at (see core/resume-cursor.ts). */
  #isAfter(cursor: string): boolean {
    const next = resumeCursorCheckpoint(cursor);
    const held = this.#cursor === null ? null : resumeCursorCheckpoint(this.#cursor);
    if (!isCheckpoint(next) || !isCheckpoint(held)) return cursor !== this.#cursor;
    return compareCheckpoints(next, held) > 0;
  }
}
