/**
 * The SQL adapter of {@link InventorySyncMarks}: marks in
 * `<schema>.inventory_sync_marks` (PostgreSQL and PGlite), migrated as
 * component {@link INVENTORY_SYNC_MARKS_COMPONENT}. A batch's marks are one
 * upsert (returning what it marked), a run's settlement one update. A row is
 * kept per product with the position its last run synced: pending while its
 * mark's position is above it.
 */
import { runMigrations } from '../../core/migrator.js';
import { quoteIdent, type SqlClient } from '../../core/sql-client.js';
import type { CheckpointWrite } from '../../processing/index.js';
import {
  INVENTORY_SYNC_MARKS_COMPONENT,
  markKey,
  mergeMark,
  type InventorySyncMark,
  type InventorySyncMarks,
  type SyncedMark,
} from './inventory-sync-marks.js';
import { migrations } from './sql/index.generated.js';

const COLUMNS = 'creator_id, product_id, first_ms, last_ms, position';

interface MarkRow {
  creator_id: string;
  product_id: string;
  first_ms: string | number;
  last_ms: string | number;
  position: string | number;
}

function toMark(r: MarkRow): InventorySyncMark {
  return {
    creatorId: r.creator_id,
    productId: r.product_id,
    firstMs: Number(r.first_ms),
    lastMs: Number(r.last_ms),
    position: Number(r.position),
  };
}

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

  async add(marks: readonly InventorySyncMark[], via?: CheckpointWrite): Promise<InventorySyncMark[]> {
    // One row a product per statement: an upsert may not touch a row twice.
    const byProduct = new Map<string, InventorySyncMark>();
    for (const m of marks) byProduct.set(markKey(m), mergeMark(byProduct.get(markKey(m)), m));
    if (byProduct.size === 0) return [];
    const rows = [...byProduct.values()];
    // An event at or below the synced position (delivered again) changes nothing and
    // returns nothing; a row synced already starts a new mark; a pending one merges.
    const text = `INSERT INTO ${this.#table} AS m (creator_id, product_id, first_ms, last_ms, position)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
       ON CONFLICT (creator_id, product_id) DO UPDATE SET
         first_ms = CASE WHEN m.position > m.synced_position
                         THEN least(m.first_ms, excluded.first_ms) ELSE excluded.first_ms END,
         last_ms = CASE WHEN m.position > m.synced_position
                        THEN greatest(m.last_ms, excluded.last_ms) ELSE excluded.last_ms END,
         position = greatest(m.position, excluded.position)
       WHERE excluded.position > m.synced_position
       RETURNING ${COLUMNS}`;
    const params = [
      rows.map((r) => r.creatorId),
      rows.map((r) => r.productId),
      rows.map((r) => r.firstMs),
      rows.map((r) => r.lastMs),
      rows.map((r) => r.position),
    ];
    const marked = via
      ? await via<MarkRow>(text, params)
      : (await this.#sql.query<MarkRow>(text, params)).rows;
    return marked.map(toMark);
  }

  async load(): Promise<InventorySyncMark[]> {
    const { rows } = await this.#sql.query<MarkRow>(
      `SELECT ${COLUMNS} FROM ${this.#table} WHERE position > synced_position`,
    );
    return rows.map(toMark);
  }

  async remove(synced: readonly SyncedMark[]): Promise<void> {
    if (synced.length === 0) return;
    await this.#sql.query(
      `UPDATE ${this.#table} m SET synced_position = greatest(m.synced_position, s.position)
        FROM unnest($1::text[], $2::text[], $3::bigint[]) AS s(creator_id, product_id, position)
        WHERE m.creator_id = s.creator_id AND m.product_id = s.product_id`,
      [synced.map((s) => s.creatorId), synced.map((s) => s.productId), synced.map((s) => s.position)],
    );
  }
}
