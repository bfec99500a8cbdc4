/**
 * The rows an inline batch's fold read before the batch was written (see
 * `ProjectionSet`'s `lockBeforeWrite`), kept for the fold after the write:
 * the rows stay locked in between, so they are still what was read, and the
 * fold after the write reads nothing again.
 */
import type { Row } from '../../core/row-change.js';
import { rowKey, type TableBackend } from '../projection/table-backend.js';

/**
 * Rows read through `recording` tables, served by `serving` ones.
 *
 * @example
 * ```ts
 * const reads = new RowsReadBeforeWrite();
 * await foldSet(defs, pending, new Map(), (t) => reads.recording(t, keyOf(t), set.table(t, tx)), lockRowsOf);
 * // after the write:
 * await foldSet(defs, stored, new Map(), (t) => reads.serving(t, keyOf(t), set.table(t, tx)), lockRowsOf);
 * ```
 */
export class RowsReadBeforeWrite {
  /** By table: each key read (by `rowKey`) and the read that has its row, if any. */
  readonly #read = new Map<string, Map<string, Promise<Map<string, Row>>>>();
  #failure: unknown;

  /** Whether a read failed (the database's error, not a handler's), and how. */
  get failure(): { error: unknown } | undefined {
    return this.#failure === undefined ? undefined : { error: this.#failure };
  }

  /**
   * A table that reads through `inner`, keeps what it read and writes nothing
   * (a dry fold). `deferred`: the read is not waited for, and the dry fold
   * sees no rows — for the last tables of a set, whose changes no table folds:
   * their reads then go out with the write, in its round trip.
   */
  recording(
    table: string,
    keyColumns: readonly string[],
    inner: TableBackend,
    deferred = false,
  ): TableBackend {
    const read = this.#tableRead(table);
    return {
      load: (keys) => {
        const rows = inner.load(keys);
        // Noted for the caller; the fold after the write, if it runs, sees it too.
        rows.catch((error: unknown) => (this.#failure ??= error));
        for (const key of keys) read.set(rowKey(keyColumns, key), rows);
        return deferred ? Promise.resolve(new Map()) : rows;
      },
      write: async () => undefined,
      // Rows merged in the database are not read: the dry fold leaves them (and locks them shared).
      ...(inner.merge
        ? { merge: async () => ({ rows: Promise.resolve({ before: new Map(), after: new Map() }) }) }
        : {}),
      ...(inner.keysWhere ? { keysWhere: (match: Row) => inner.keysWhere!(match) } : {}),
      all: () => inner.all(),
    };
  }

  /** A table that serves the rows read before and reads the others through `inner`, to which it writes. */
  serving(table: string, keyColumns: readonly string[], inner: TableBackend): TableBackend {
    const read = this.#tableRead(table);
    return {
      load: async (keys) => {
        const rows = new Map<string, Row>();
        const unread: Row[] = [];
        for (const key of keys) {
          const id = rowKey(keyColumns, key);
          const found = read.get(id);
          if (!found) unread.push(key);
          else {
            const row = (await found).get(id);
            if (row) rows.set(id, row);
          }
        }
        if (unread.length > 0) for (const [id, row] of await inner.load(unread)) rows.set(id, row);
        return rows;
      },
      write: (writes) => inner.write(writes),
      ...(inner.merge ? { merge: inner.merge.bind(inner) } : {}),
      ...(inner.keysWhere ? { keysWhere: (match: Row) => inner.keysWhere!(match) } : {}),
      all: () => inner.all(),
    };
  }

  #tableRead(table: string): Map<string, Promise<Map<string, Row>>> {
    let read = this.#read.get(table);
    if (!read) this.#read.set(table, (read = new Map()));
    return read;
  }
}
