/**
 * A read-model table in memory, for projections on the in-memory event store.
 */
import type { Row } from '../../core/row-change.js';
import { rowKey, rowMatches, type TableBackend, type TableWrites } from './table-backend.js';

/**
 * Rows in a map keyed by {@link rowKey}.
 *
 * @example
 * ```ts
 * const table = new MemoryTable(['creator_id']);
 * await table.write({ upserts: [{ creator_id: 'c1', orders: 1 }], deletes: [] });
 * ```
 */
export class MemoryTable implements TableBackend {
  readonly #key: readonly string[];
  readonly #rows = new Map<string, Row>();

  constructor(keyColumns: readonly string[]) {
    this.#key = keyColumns;
  }

  async load(keys: readonly Row[]): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    for (const key of keys) {
      const k = rowKey(this.#key, key);
      const row = this.#rows.get(k);
      if (row) found.set(k, { ...row });
    }
    return found;
  }

  async write(writes: TableWrites): Promise<void> {
    for (const key of writes.deletes) this.#rows.delete(rowKey(this.#key, key));
    for (const row of writes.upserts) this.#rows.set(rowKey(this.#key, row), { ...row });
  }

  async keysWhere(match: Row): Promise<Row[]> {
    const found: Row[] = [];
    for (const row of this.#rows.values()) if (rowMatches(row, match)) found.push(pick(row, this.#key));
    return found;
  }

  async all(): Promise<Row[]> {
    return [...this.#rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ ...row }));
  }
}

function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c];
  return out;
}
