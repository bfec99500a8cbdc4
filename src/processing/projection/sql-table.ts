/**
 * A read-model table in PostgreSQL, read and written a batch at a time:
 * one SELECT for the rows a batch touches, one upsert and one DELETE per
 * batch (rows passed as one jsonb parameter), so catch-up runs at tens of
 * thousands of events per second.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';
import { rowKey, type TableBackend, type TableWrites } from './table-backend.js';

/**
 * The table `schema.table` through `sql` (a pool or the batch's transaction).
 *
 * @example
 * ```ts
 * const table = new SqlTable(tx, 'creatorflow', 'order_totals', ['creator_id']);
 * ```
 */
export class SqlTable implements TableBackend {
  readonly #sql: SqlQueryable;
  readonly #key: readonly string[];
  readonly #qualified: string;
  readonly #keyList: string;

  constructor(sql: SqlQueryable, schema: string, table: string, keyColumns: readonly string[]) {
    this.#sql = sql;
    this.#key = keyColumns;
    this.#qualified = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    this.#keyList = keyColumns.map(quoteIdent).join(', ');
  }

  async load(keys: readonly Row[]): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    if (keys.length === 0) return found;
    const t = this.#qualified;
    const { rows } = await this.#sql.query<Row>(
      `SELECT * FROM ${t} WHERE (${this.#keyList}) IN
         (SELECT ${this.#keyList} FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb))`,
      [toJson(keys.map((k) => pick(k, this.#key)))],
    );
    for (const row of rows) found.set(rowKey(this.#key, row), row);
    return found;
  }

  async write(writes: TableWrites): Promise<void> {
    const t = this.#qualified;
    if (writes.deletes.length > 0) {
      await this.#sql.query(
        `DELETE FROM ${t} WHERE (${this.#keyList}) IN
           (SELECT ${this.#keyList} FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb))`,
        [toJson(writes.deletes.map((k) => pick(k, this.#key)))],
      );
    }
    // Rows with different column sets need separate statements (a missing column
    // would otherwise be written as NULL instead of keeping its default).
    const groups = new Map<string, Row[]>();
    for (const row of writes.upserts) {
      const columns = Object.keys(row)
        .filter((c) => row[c] !== undefined)
        .sort()
        .join(',');
      const group = groups.get(columns);
      if (group) group.push(row);
      else groups.set(columns, [row]);
    }
    for (const [signature, rows] of groups) {
      const columns = signature.split(',');
      for (const c of this.#key) {
        if (!columns.includes(c)) throw new InvalidArgumentError(`row for ${t} lacks key column "${c}"`);
      }
      const list = columns.map(quoteIdent).join(', ');
      const updates = columns
        .filter((c) => !this.#key.includes(c))
        .map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`);
      await this.#sql.query(
        `INSERT INTO ${t} (${list})
         SELECT ${list} FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb)
         ON CONFLICT (${this.#keyList}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
        [toJson(rows)],
      );
    }
  }

  async keysWhere(match: Row): Promise<Row[]> {
    const columns = Object.keys(match);
    if (columns.length === 0) return this.#keys(`SELECT ${this.#keyList} FROM ${this.#qualified}`, []);
    const list = columns.map(quoteIdent).join(', ');
    // Typed through the table's row type, so a text parameter compares with any column type.
    return this.#keys(
      `SELECT ${this.#keyList} FROM ${this.#qualified}
        WHERE (${list}) = (SELECT ${list} FROM jsonb_populate_record(NULL::${this.#qualified}, $1::jsonb))`,
      [toJson(match)],
    );
  }

  async #keys(text: string, params: unknown[]): Promise<Row[]> {
    const { rows } = await this.#sql.query<Row>(text, params);
    return rows;
  }

  async all(): Promise<Row[]> {
    const { rows } = await this.#sql.query<Row>(`SELECT * FROM ${this.#qualified} ORDER BY ${this.#keyList}`);
    return rows;
  }
}

function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c];
  return out;
}

function toJson(value: unknown): string {
  // bigint is not JSON; PostgreSQL parses the decimal string into bigint/numeric columns.
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
