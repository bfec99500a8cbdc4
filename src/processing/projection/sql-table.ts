/**
 * A read-model table in PostgreSQL, read and written a batch at a time:
 * one SELECT for the rows a batch touches, one upsert and one DELETE per
 * batch (rows passed as one jsonb parameter), so catch-up runs at tens of
 * thousands of events per second. Writes are queued in a pipelining
 * transaction (`queueStatement`): they go out with the next statement or COMMIT.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import { queueStatement, quoteIdent, type SqlQueryable, type SqlResult } from '../../core/sql-client.js';
import { mergeAssignments, type MergeSpec } from './merge-columns.js';
import { rowKey, type MergedRows, type TableBackend, type TableWrites } from './table-backend.js';

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
      await queueStatement(
        this.#sql,
        `DELETE FROM ${t} WHERE (${this.#keyList}) IN
           (SELECT ${this.#keyList} FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb))`,
        [toJson(writes.deletes.map((k) => pick(k, this.#key)))],
      );
    }
    const { whole, changed } = this.#splitByStored(writes);
    if (changed) await this.#updateChanged(changed.rows, changed.columns);
    // Rows with different column sets need separate statements (a missing column
    // would otherwise be written as NULL instead of keeping its default).
    const groups = new Map<string, Row[]>();
    for (const row of whole) {
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
      await queueStatement(
        this.#sql,
        `INSERT INTO ${t} (${list})
         SELECT ${list} FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb)
         ON CONFLICT (${this.#keyList}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
        [toJson(rows)],
      );
    }
  }

  /**
   * Upserts of rows stored before (`writes.stored`) become one UPDATE of the
   * columns that differ in any of them (rows where none differ are not
   * written); the others are upserted whole.
   */
  #splitByStored(writes: TableWrites): { whole: Row[]; changed?: { rows: Row[]; columns: string[] } } {
    const stored = writes.stored;
    if (!stored || stored.size === 0) return { whole: writes.upserts };
    const whole: Row[] = [];
    const updates: { row: Row; before: Row }[] = [];
    const columns = new Set<string>();
    for (const row of writes.upserts) {
      const before = stored.get(rowKey(this.#key, row));
      if (!before) {
        whole.push(row);
        continue;
      }
      let differs = false;
      for (const c of Object.keys(row)) {
        if (row[c] === undefined || this.#key.includes(c) || sameValue(row[c], before[c])) continue;
        columns.add(c);
        differs = true;
      }
      if (differs) updates.push({ row, before });
    }
    if (updates.length === 0) return { whole };
    const list = [...columns].sort();
    // Every row carries every column set: its own value, or the stored one it keeps.
    const rows = updates.map(({ row, before }) => {
      const out = pick(row, this.#key);
      for (const c of list) out[c] = row[c] === undefined ? before[c] : row[c];
      return out;
    });
    return { whole, changed: { rows, columns: list } };
  }

  async #updateChanged(rows: Row[], columns: readonly string[]): Promise<void> {
    const t = this.#qualified;
    const set = columns.map((c) => `${quoteIdent(c)} = r.${quoteIdent(c)}`).join(', ');
    const match = this.#key.map((c) => `t.${quoteIdent(c)} = r.${quoteIdent(c)}`).join(' AND ');
    await queueStatement(
      this.#sql,
      `UPDATE ${t} AS t SET ${set}
         FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb) AS r WHERE ${match}`,
      [toJson(rows)],
    );
  }

  /**
   * One statement, sent without waiting where the transaction pipelines: the
   * stored rows locked in key order (the order every merge locks them in) and
   * read as they were, then the upsert that merges the deltas in — it waits
   * for that read (the scalar subquery runs before its first row), so the
   * rows come back as they were and as they are. A row's lock is held from
   * there to COMMIT, not from a read before the write.
   */
  async merge(merge: MergeSpec, rows: readonly Row[]): Promise<{ rows: Promise<MergedRows> }> {
    const t = this.#qualified;
    const keys = this.#keyList;
    const columns = Object.keys(rows[0] ?? {}).filter((c) => rows[0]![c] !== undefined);
    const list = columns.map(quoteIdent).join(', ');
    const sent = await this.#send(
      `WITH input AS (SELECT * FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb)),
       old AS (SELECT t.* FROM ${t} AS t WHERE (${keys}) IN (SELECT ${keys} FROM input)
                ORDER BY ${keys} FOR UPDATE OF t),
       merged AS (
         INSERT INTO ${t} AS t (${list})
         SELECT ${list} FROM input WHERE (SELECT count(*) FROM old) >= 0 ORDER BY ${keys}
         ON CONFLICT (${keys}) DO UPDATE SET ${mergeAssignments(merge)}
         RETURNING t.*)
       SELECT false AS ${MERGED_SIDE}, old.* FROM old
       UNION ALL SELECT true, merged.* FROM merged`,
      [toJson(rows)],
    );
    const merged = sent.result.then((result) => {
      const before = new Map<string, Row>();
      const after = new Map<string, Row>();
      for (const { [MERGED_SIDE_NAME]: side, ...row } of result.rows) {
        (side === true ? after : before).set(rowKey(this.#key, row), row);
      }
      return { before, after };
    });
    merged.catch(() => undefined); // it fails the transaction's next statement or COMMIT
    return { rows: merged };
  }

  /** Queued where the transaction pipelines (`result` settles later), else run. */
  async #send(text: string, params: readonly unknown[]): Promise<{ result: Promise<SqlResult<Row>> }> {
    const sql = this.#sql as SqlQueryable & { queue?: SqlQueryable['query'] };
    if (!sql.queue) return { result: Promise.resolve(await sql.query<Row>(text, params)) };
    const result = sql.queue<Row>(text, params);
    result.catch(() => undefined); // it fails the transaction's next statement or COMMIT
    return { result };
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

/**
 * Whether a value to write equals the stored one for sure (else it is written):
 * identical, the same instant, or the same JSON (a jsonb column's content).
 */
function sameValue(next: unknown, stored: unknown): boolean {
  if (next === stored) return true;
  if (next instanceof Date || stored instanceof Date) {
    return next instanceof Date && stored instanceof Date && next.getTime() === stored.getTime();
  }
  if (typeof next === 'object' && next !== null && typeof stored === 'object' && stored !== null) {
    return toJson(next) === toJson(stored);
  }
  return false;
}

/** The column telling a merge's rows before (false) from after (true); no table has it. */
const MERGED_SIDE_NAME = '~merged';
const MERGED_SIDE = quoteIdent(MERGED_SIDE_NAME);

function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c];
  return out;
}

function toJson(value: unknown): string {
  // bigint is not JSON; PostgreSQL parses the decimal string into bigint/numeric columns.
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
