/**
 * The SQL adapter of {@link InventorySyncMarks}: marks in
 * `<schema>.inventory_sync_marks` (PostgreSQL and PGlite), migrated as
 * component {@link INVENTORY_SYNC_MARKS_COMPONENT}. A batch's marks are one
 * upsert, a run's removal one delete.
 */
import { runMigrations } from '../../core/migrator.js';
import { quoteIdent, type SqlClient, type SqlQueryable } from '../../core/sql-client.js';
import {
  INVENTORY_SYNC_MARKS_COMPONENT,
  markKey,
  mergeMark,
  type InventorySyncMark,
  type InventorySyncMarks,
  type SyncedMark,
} from './inventory-sync-marks.js';
import { migrations } from './sql/index.generated.js';

/**
 * Marks in `<schema>.inventory_sync_marks`.
 *
 * @example
 * ```ts
 * const marks = new SqlInventorySyncMarks(sql, 'app');
 * await marks.migrate();
 * ```
 */
export class SqlInventorySyncMarks implements InventorySyncMarks {
  readonly #sql: SqlClient;
  readonly #schema: string;
  readonly #table: string;

  constructor(sql: SqlClient, schema: string) {
    this.#sql = sql;
    this.#schema = schema;
    this.#table = `${quoteIdent(schema)}.inventory_sync_marks`;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#sql, {
      schema: this.#schema,
      component: INVENTORY_SYNC_MARKS_COMPONENT,
      migrations,
    });
  }

  async add(marks: readonly InventorySyncMark[], tx?: SqlQueryable): Promise<void> {
    // One row a product per statement: an upsert may not touch a row twice.
    const byProduct = new Map<string, InventorySyncMark>();
    for (const m of marks) byProduct.set(markKey(m), mergeMark(byProduct.get(markKey(m)), m));
    if (byProduct.size === 0) return;
    const rows = [...byProduct.values()];
    await (tx ?? this.#sql).query(
      `INSERT INTO ${this.#table} AS m (creator_id, product_id, first_ms, last_ms, position)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
       ON CONFLICT (creator_id, product_id) DO UPDATE SET
         first_ms = least(m.first_ms, excluded.first_ms),
         last_ms = greatest(m.last_ms, excluded.last_ms),
         position = greatest(m.position, excluded.position)`,
      [
        rows.map((r) => r.creatorId),
        rows.map((r) => r.productId),
        rows.map((r) => r.firstMs),
        rows.map((r) => r.lastMs),
        rows.map((r) => r.position),
      ],
    );
  }

  async load(): Promise<InventorySyncMark[]> {
    const { rows } = await this.#sql.query<{
      creator_id: string;
      product_id: string;
      first_ms: string | number;
      last_ms: string | number;
      position: string | number;
    }>(`SELECT creator_id, product_id, first_ms, last_ms, position FROM ${this.#table}`);
    return rows.map((r) => ({
      creatorId: r.creator_id,
      productId: r.product_id,
      firstMs: Number(r.first_ms),
      lastMs: Number(r.last_ms),
      position: Number(r.position),
    }));
  }

  async remove(synced: readonly SyncedMark[]): Promise<void> {
    if (synced.length === 0) return;
    await this.#sql.query(
      `DELETE FROM ${this.#table} m
        USING unnest($1::text[], $2::text[], $3::bigint[]) AS s(creator_id, product_id, position)
        WHERE m.creator_id = s.creator_id AND m.product_id = s.product_id AND m.position <= s.position`,
      [synced.map((s) => s.creatorId), synced.map((s) => s.productId), synced.map((s) => s.position)],
    );
  }
}
