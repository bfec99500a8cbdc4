/**
 * A client-side copy of one subscription's rows, kept current by applying
 * envelopes in order. Browser-safe.
 */
import type { Row } from '../core/row-change.js';
import { compareCheckpoints, isCheckpoint } from '../core/checkpoint.js';
import { resumeCursorCheckpoint } from '../core/resume-cursor.js';
import { applyDelta, fromTuple } from '../core/delta.js';
import type { Envelope } from '../core/envelope.js';

/** The id of a key: its values by sorted column name (a delta's key holds exactly the key columns). */
function keyIdFrom(key: Row, keyColumns: readonly string[] | null): string {
  const columns = keyColumns ?? Object.keys(key);
  return JSON.stringify([...columns].sort().map((c) => [c, key[c] ?? null]));
}

/**
 * Rows of one subscription.
 *
 * @example
 * ```ts
 * const table = new LiveTable();
 * client.messages$.subscribe((envelope) => { table.apply(envelope); render(table.rows()); });
 * ```
 */
export class LiveTable {
  readonly #rows = new Map<string, Row>();
  #keyColumns: string[] | null = null;
  #cursor: string | null = null;
  #duplicates = 0;

  /** Resume position: the cursor of the last message applied. */
  get cursor(): string | null {
    return this.#cursor;
  }

  /** Data messages ignored because their cursor was not after the current one. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** The current rows. */
  rows(): Row[] {
    return [...this.#rows.values()];
  }

  /** A row by key. */
  get(key: Row): Row | undefined {
    return this.#rows.get(keyIdFrom(key, this.#keyColumns));
  }

  /**
   * Apply one envelope; false when it was a duplicate or carried nothing to apply.
   * `reset` replaces everything; `data` applies its deltas; `heartbeat`/`ready` move the cursor.
   */
  apply(envelope: Envelope): boolean {
    if (envelope.type === 'reset') {
      this.#rows.clear();
      if (envelope.keyColumns) this.#keyColumns = envelope.keyColumns;
      for (const row of envelope.rows ?? []) {
        this.#rows.set(keyIdFrom(row, this.#keyColumns), row);
      }
      this.#cursor = envelope.cursor;
      return true;
    }
    if (envelope.type === 'data') {
      if (this.#cursor !== null && envelope.cursor !== null && !this.#after(envelope.cursor)) {
        this.#duplicates++;
        return false;
      }
      for (const tuple of envelope.deltas ?? []) {
        const delta = fromTuple(tuple);
        applyDelta(this.#rows, keyIdFrom(delta.key, this.#keyColumns), delta);
      }
      this.#cursor = envelope.cursor;
      return true;
    }
    if ((envelope.type === 'heartbeat' || envelope.type === 'ready') && envelope.cursor !== null) {
      if (this.#cursor === null || this.#after(envelope.cursor)) this.#cursor = envelope.cursor;
    }
    return false;
  }

  /** Cursors are opaque but for their order: by the checkpoint they stand at (see core/resume-cursor.ts). */
  #after(cursor: string): boolean {
    const next = resumeCursorCheckpoint(cursor);
    const held = this.#cursor === null ? null : resumeCursorCheckpoint(this.#cursor);
    if (!isCheckpoint(next) || !isCheckpoint(held)) return cursor !== this.#cursor;
    return compareCheckpoints(next, held) > 0;
  }
}
