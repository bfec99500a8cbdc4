/**
 * The audit on PostgreSQL or PGlite, through the SQL port.
 */
import { isStorableText } from '../../../core/storable-text.js';
import { runMigrations } from '../../../core/migrator.js';
import { queueStatement, quoteIdent, type SqlClient, type SqlQueryable } from '../../../core/sql-client.js';
import { migrations } from '../sql/index.generated.js';
import type { AuditQuery, ConflictAuditStore, ConflictRecord } from './audit-record.js';
import { decodeAuditRecord, encodeAuditRecord } from './audit-codec.js';
import { assertAuditQuery } from './audit-query.js';

/**
 * Migration component name of the conflict audit.
 *
 * @example
 * ```ts
 * await runMigrations(sql, { schema, component: CONFLICTS_COMPONENT, migrations: conflictMigrations });
 * ```
 */
export const CONFLICTS_COMPONENT = 'conflicts';

/** A conflict id as `nameUuid` writes it (what the `conflict_id uuid` column returns). */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Audit records in `<schema>.conflict_audit`, each in its stored form (format 2,
 * `audit-codec.ts`: contenders once, as tuples) and read back whole.
 *
 * @example
 * ```ts
 * const audit = new SqlAuditStore(sql, 'app');
 * await audit.migrate();
 * ```
 */
export class SqlAuditStore implements ConflictAuditStore {
  readonly #sql: SqlClient;
  readonly #schema: string;
  readonly #table: string;

  constructor(sql: SqlClient, schema: string) {
    this.#sql = sql;
    this.#schema = schema;
    this.#table = `${quoteIdent(schema)}.conflict_audit`;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#sql, { schema: this.#schema, component: CONFLICTS_COMPONENT, migrations });
  }

  async insert(r: ConflictRecord, tx?: SqlQueryable): Promise<boolean> {
    const { rowCount, rows } = await (tx ?? this.#sql).query(
      `INSERT INTO ${this.#table}
         (conflict_id, entity_type, entity_id, kind, status, detected_at, resolved_at, resolution_ms, record, tenant_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
       ON CONFLICT (conflict_id) DO NOTHING
       RETURNING conflict_id`,
      params(r),
    );
    return (rowCount ?? rows.length) > 0;
  }

  async insertMany(records: readonly ConflictRecord[], tx?: SqlQueryable): Promise<void> {
    if (records.length === 0) return;
    if (records.length === 1 && !tx) {
      await this.insert(records[0]!, tx);
      return;
    }
    // One round trip for a whole group-commit batch: the rows are unpacked from one jsonb array.
    let array = '[';
    for (let i = 0; i < records.length; i++) array += (i === 0 ? '' : ',') + encodeAuditRecord(records[i]!);
    const text = `INSERT INTO ${this.#table}
         (conflict_id, entity_type, entity_id, kind, status, detected_at, resolved_at, resolution_ms, record, tenant_id)
       SELECT (r->>'conflictId')::uuid, r->'resolution'->>'entityType', r->'resolution'->>'entityId',
              r->'resolution'->>'kind', r->>'status', (r->>'detectedAt')::timestamptz,
              (r->>'resolvedAt')::timestamptz, (r->>'resolutionMs')::double precision, r, r->>'tenantId'
         FROM jsonb_array_elements($1::jsonb) AS r
       ON CONFLICT (conflict_id) DO NOTHING`;
    // In an append's transaction nobody reads its answer: it goes out with the next
    // statement (a failure fails the transaction), one round trip less per settling flush.
    if (tx) await queueStatement(tx, text, [`${array}]`]);
    else await this.#sql.query(text, [`${array}]`]);
  }

  async get(conflictId: string): Promise<ConflictRecord | undefined> {
    // The column is a uuid: another id (from a URL, say) names no conflict, as in the memory store,
    // rather than failing with the database's error.
    if (!CANONICAL_UUID.test(conflictId)) return undefined;
    const { rows } = await this.#sql.query<{ record: unknown }>(
      `SELECT record FROM ${this.#table} WHERE conflict_id = $1`,
      [conflictId],
    );
    return rows[0] && decodeAuditRecord(rows[0].record);
  }

  async completePending(r: ConflictRecord): Promise<boolean> {
    const { rows } = await this.#sql.query(
      `UPDATE ${this.#table}
          SET status = $5, resolved_at = $7, resolution_ms = $8, record = $9::jsonb, updated_at = now()
        WHERE conflict_id = $1 AND entity_type = $2 AND entity_id = $3 AND kind = $4
          AND status = 'pending' AND detected_at = $6
        RETURNING conflict_id`,
      params(r).slice(0, 9),
    );
    return rows.length > 0;
  }

  async list(query: AuditQuery = {}): Promise<ConflictRecord[]> {
    assertAuditQuery(query);
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      values.push(value);
      where.push(clause.replace('?', `$${values.length}`));
    };
    if (query.from) add('detected_at >= ?', query.from.toISOString());
    if (query.to) add('detected_at < ?', query.to.toISOString());
    if (query.status) add('status = ?', query.status);
    // Text PostgreSQL cannot store is in no row: match nothing rather than fail with its error.
    if (query.entityType !== undefined && !isStorableText(query.entityType)) return [];
    if (query.entityType) add('entity_type = ?', query.entityType);
    if (query.tenantIds)
      add(
        'tenant_id = ANY(SELECT jsonb_array_elements_text(?::jsonb))',
        JSON.stringify(query.tenantIds.filter(isStorableText)),
      );
    let text = `SELECT record FROM ${this.#table}`;
    if (where.length > 0) text += ` WHERE ${where.join(' AND ')}`;
    text += ' ORDER BY detected_at, conflict_id';
    if (query.limit !== undefined) {
      values.push(query.limit);
      text += ` LIMIT $${values.length}`;
    }
    const { rows } = await this.#sql.query<{ record: unknown }>(text, values);
    return rows.map((row) => decodeAuditRecord(row.record));
  }
}

function params(r: ConflictRecord): unknown[] {
  return [
    r.conflictId,
    r.resolution.entityType,
    r.resolution.entityId,
    r.resolution.kind,
    r.status,
    r.detectedAt,
    r.resolvedAt,
    r.resolutionMs,
    encodeAuditRecord(r),
    r.tenantId,
  ];
}
