/**
 * The tables of a projection set when the store is in memory, with batches
 * staged until their append commits.
 *
 * Why staging: an inline hook runs before the in-memory store commits, and a
 * hook that throws (a guard, or any later hook) fails the append. Writes made
 * straight into the tables would then describe events that never happened.
 * A {@link MemoryBatch} reads through to the tables, keeps its own writes, and
 * applies them synchronously in the append's after-commit callback.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import { rowKey, rowMatches, type TableBackend, type TableWrites } from '../projection/table-backend.js';

/** One table's rows by {@link rowKey}. */
class MemoryRows implements TableBackend {
  readonly key: readonly string[];
  readonly rows = new Map<string, Row>();

  constructor(key: readonly string[]) {
    this.key = key;
  }

  async load(keys: readonly Row[]): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    for (const key of keys) {
      const id = rowKey(this.key, key);
      const row = this.rows.get(id);
      if (row) found.set(id, { ...row });
    }
    return found;
  }

  async write(writes: TableWrites): Promise<void> {
    this.apply(writes);
  }

  async keysWhere(match: Row): Promise<Row[]> {
    return [...this.rows.values()].filter((row) => rowMatches(row, match)).map((row) => keyOf(this.key, row));
  }

  /** Synchronous: a staged batch commits in one go, with no other work in between. */
  apply(writes: TableWrites): void {
    for (const key of writes.deletes) this.rows.delete(rowKey(this.key, key));
    for (const row of writes.upserts) this.rows.set(rowKey(this.key, row), { ...row });
  }

  async all(): Promise<Row[]> {
    return [...this.rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ ...row }));
  }
}

/** A table seen through a batch: the batch's own writes over the committed rows. */
class StagedRows implements TableBackend {
  readonly #base: MemoryRows;
  /** Rows the batch wrote (null: deleted). */
  readonly #overlay = new Map<string, Row | null>();
  readonly writes: TableWrites[] = [];

  constructor(base: MemoryRows) {
    this.#base = base;
  }

  async load(keys: readonly Row[]): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    const rest: Row[] = [];
    for (const key of keys) {
      const id = rowKey(this.#base.key, key);
      if (!this.#overlay.has(id)) rest.push(key);
      else if (this.#overlay.get(id)) found.set(id, { ...this.#overlay.get(id)! });
    }
    for (const [id, row] of await this.#base.load(rest)) found.set(id, row);
    return found;
  }

  async write(writes: TableWrites): Promise<void> {
    const copy = { upserts: writes.upserts.map((r) => ({ ...r })), deletes: [...writes.deletes] };
    for (const key of copy.deletes) this.#overlay.set(rowKey(this.#base.key, key), null);
    for (const row of copy.upserts) this.#overlay.set(rowKey(this.#base.key, row), row);
    this.writes.push(copy);
  }

  async keysWhere(match: Row): Promise<Row[]> {
    const found = new Map<string, Row>();
    for (const key of await this.#base.keysWhere(match)) found.set(rowKey(this.#base.key, key), key);
    for (const [id, row] of this.#overlay) {
      if (row && rowMatches(row, match)) found.set(id, keyOf(this.#base.key, row));
      else found.delete(id);
    }
    return [...found.values()];
  }

  async all(): Promise<Row[]> {
    const merged = new Map(this.#base.rows);
    for (const [id, row] of this.#overlay) {
      if (row) merged.set(id, row);
      else merged.delete(id);
    }
    return [...merged.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ ...row }));
  }
}

/**
 * The writes of one batch over the memory tables, invisible to others
 * until {@link MemoryBatch.commit}.
 */
export class MemoryBatch {
  readonly #tables: MemoryTables;
  readonly #staged = new Map<string, StagedRows>();

  constructor(tables: MemoryTables) {
    this.#tables = tables;
  }

  table(name: string): TableBackend {
    let staged = this.#staged.get(name);
    if (!staged) {
      staged = new StagedRows(this.#tables.rows(name));
      this.#staged.set(name, staged);
    }
    return staged;
  }

  /** Apply the batch's writes to the tables, synchronously. */
  commit(): void {
    for (const [name, staged] of this.#staged) {
      const rows = this.#tables.rows(name);
      for (const writes of staged.writes) rows.apply(writes);
    }
  }
}

/**
 * Every table of a projection set, in memory.
 *
 * @example
 * ```ts
 * const tables = new MemoryTables([{ table: 'order_metrics', key: ['creator_id'] }]);
 * const batch = tables.batch();
 * await applyProjectionBatch(orderMetrics, batch.table('order_metrics'), events);
 * batch.commit(); // now visible through tables.table('order_metrics')
 * ```
 */
export class MemoryTables {
  readonly #rows = new Map<string, MemoryRows>();
  readonly #definitions: readonly { table: string; key: readonly string[] }[];

  constructor(definitions: readonly { table: string; key: readonly string[] }[]) {
    this.#definitions = definitions;
    this.clear();
  }

  /** The committed rows of a table, read and written directly. */
  table(name: string): TableBackend | undefined {
    return this.#rows.get(name);
  }

  /** Start a batch whose writes stay staged until it commits. */
  batch(): MemoryBatch {
    return new MemoryBatch(this);
  }

  /** Empty every table. */
  clear(): void {
    for (const def of this.#definitions) this.#rows.set(def.table, new MemoryRows(def.key));
  }

  /** Empty tables of the same definitions (a rebuild's next generation). */
  next(): MemoryTables {
    return new MemoryTables(this.#definitions);
  }

  /** Take `other`'s rows as these tables' own (batches committing later write into them). */
  swapIn(other: MemoryTables): void {
    for (const def of this.#definitions) this.#rows.set(def.table, other.rows(def.table));
  }

  /** @internal */
  rows(name: string): MemoryRows {
    const rows = this.#rows.get(name);
    if (!rows) throw new InvalidArgumentError(`unknown table "${name}" in the projection set`);
    return rows;
  }
}

/** The key columns of a row. */
function keyOf(key: readonly string[], row: Row): Row {
  const out: Row = {};
  for (const c of key) out[c] = row[c];
  return out;
}
