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
  /** By table: each key read (by `rowKey`) and its row, or null for none. */
  readonly #read = new Map<string, Map<string, Row | null>>();

  /** A table that reads through `inner` and keeps what it read, and writes nothing (a dry fold). */
  recording(table: string, keyColumns: readonly string[], inner: TableBackend): TableBackend {
    const read = this.#tableRead(table);
    return {
      load: async (keys) => {
        const rows = await inner.load(keys);
        for (const key of keys) {
          const id = rowKey(keyColumns, key);
          read.set(id, rows.get(id) ?? null);
        }
        return rows;
      },
      write: async () => undefined,
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
          if (!read.has(id)) unread.push(key);
          else if (read.get(id)) rows.set(id, read.get(id)!);
        }
        if (unread.length > 0) for (const [id, row] of await inner.load(unread)) rows.set(id, row);
        return rows;
      },
      write: (writes) => inner.write(writes),
      ...(inner.keysWhere ? { keysWhere: (match: Row) => inner.keysWhere!(match) } : {}),
      all: () => inner.all(),
    };
  }

  #tableRead(table: string): Map<string, Row | null> {
    let read = this.#read.get(table);
    if (!read) this.#read.set(table, (read = new Map()));
    return read;
  }
}
