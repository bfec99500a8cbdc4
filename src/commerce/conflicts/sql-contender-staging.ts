/**
 * The SQL adapter of {@link ContenderStaging}: waiting reports in
 * `<schema>.sync_contenders` (PostgreSQL and PGlite), migrated as component
 * {@link SYNC_CONTENDERS_COMPONENT}.
 */
import { runMigrations } from '../../core/migrator.js';
import { queueStatement, quoteIdent, type SqlClient, type SqlQueryable } from '../../core/sql-client.js';
import type { ContenderInput } from '../../conflicts/types.js';
import type { CheckpointWrite } from '../../processing/index.js';
import {
  compareStaged,
  groupByEntity,
  SYNC_CONTENDERS_COMPONENT,
  type ContenderStaging,
  type OpenEntity,
  type SettledEntityType,
  type StagedContender,
  type StagedEntity,
} from './contender-staging.js';
import { migrations } from './sql/index.generated.js';

/**
 * Waiting reports in `<schema>.sync_contenders`.
 *
 * @example
 * ```ts
 * const staging = new SqlContenderStaging(sql, schema);
 * await staging.migrate();
 * ```
 */
export class SqlContenderStaging implements ContenderStaging {
  readonly #sql: SqlClient;
  readonly #schema: string;
  readonly #table: string;

  constructor(sql: SqlClient, schema: string) {
    this.#sql = sql;
    this.#schema = schema;
    this.#table = `${quoteIdent(schema)}.sync_contenders`;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#sql, {
      schema: this.#schema,
      component: SYNC_CONTENDERS_COMPONENT,
      migrations,
    });
  }

  async add(rows: readonly StagedContender[], via?: CheckpointWrite): Promise<void> {
    if (rows.length === 0) return;
    // `RETURNING`: a statement sent with the checkpoint must return rows (none are read).
    const text = `INSERT INTO ${this.#table} (event_id, creator_id, entity_type, entity_id, at_ms, contender)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])
       ON CONFLICT (event_id) DO NOTHING${via ? ' RETURNING 1 AS staged' : ''}`;
    const params = [
      rows.map((r) => r.eventId),
      rows.map((r) => r.creatorId),
      rows.map((r) => r.entityType),
      rows.map((r) => r.entityId),
      rows.map((r) => r.atMs),
      rows.map((r) => JSON.stringify(r.contender)),
    ];
    if (via) await via(text, params);
    else await this.#sql.query(text, params);
  }

  async open(): Promise<StagedEntity[]> {
    const { rows } = await this.#sql.query<{
      creator_id: string;
      entity_type: SettledEntityType;
      entity_id: string;
      anchor_ms: string | number;
      reports: string | number;
      at_ms_sum: string | number;
    }>(
      `SELECT creator_id, entity_type, entity_id, min(at_ms) AS anchor_ms,
              count(*) AS reports, sum(at_ms) AS at_ms_sum
         FROM ${this.#table} GROUP BY creator_id, entity_type, entity_id`,
    );
    return rows.map((r) => ({
      creatorId: r.creator_id,
      entityType: r.entity_type,
      entityId: r.entity_id,
      anchorMs: Number(r.anchor_ms),
      reports: Number(r.reports),
      atMsSum: Number(r.at_ms_sum),
    }));
  }

  async load(entity: Omit<OpenEntity, 'anchorMs'>): Promise<StagedContender[]> {
    const { rows } = await this.#sql.query<{
      event_id: string;
      at_ms: string | number;
      contender: ContenderInput | string;
    }>(
      `SELECT event_id, at_ms, contender FROM ${this.#table}
        WHERE creator_id = $1 AND entity_type = $2 AND entity_id = $3
        ORDER BY at_ms, event_id`,
      [entity.creatorId, entity.entityType, entity.entityId],
    );
    return rows
      .map((r) => ({
        ...entity,
        eventId: r.event_id,
        atMs: Number(r.at_ms),
        contender:
          typeof r.contender === 'string' ? (JSON.parse(r.contender) as ContenderInput) : r.contender,
      }))
      .sort(compareStaged);
  }

  async loadMany(entities: readonly Omit<OpenEntity, 'anchorMs'>[]): Promise<Map<string, StagedContender[]>> {
    if (entities.length === 0) return new Map();
    const { rows } = await this.#sql.query<{
      creator_id: string;
      entity_type: SettledEntityType;
      entity_id: string;
      event_id: string;
      at_ms: string | number;
      contender: ContenderInput | string;
    }>(
      `SELECT s.creator_id, s.entity_type, s.entity_id, s.event_id, s.at_ms, s.contender
         FROM ${this.#table} s
         JOIN unnest($1::text[], $2::text[], $3::text[]) AS e(creator_id, entity_type, entity_id)
           ON s.creator_id = e.creator_id AND s.entity_type = e.entity_type AND s.entity_id = e.entity_id`,
      [entities.map((e) => e.creatorId), entities.map((e) => e.entityType), entities.map((e) => e.entityId)],
    );
    // Sorted here, by the same comparison as load(): the database's collation may order ids differently.
    return groupByEntity(
      rows.map((r): StagedContender => ({
        creatorId: r.creator_id,
        entityType: r.entity_type,
        entityId: r.entity_id,
        eventId: r.event_id,
        atMs: Number(r.at_ms),
        contender:
          typeof r.contender === 'string' ? (JSON.parse(r.contender) as ContenderInput) : r.contender,
      })),
    );
  }

  async remove(eventIds: readonly string[], tx?: SqlQueryable): Promise<void> {
    if (eventIds.length === 0) return;
    const text = `DELETE FROM ${this.#table} WHERE event_id = ANY($1::text[])`;
    // In the settling append's transaction it goes out with the next statement: one round
    // trip less while the window's append holds its rows (a failure fails the transaction).
    if (tx) await queueStatement(tx, text, [[...eventIds]]);
    else await this.#sql.query(text, [[...eventIds]]);
  }
}
