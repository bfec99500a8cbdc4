/**
 * Where reports wait for their detection window to close: durable on
 * PostgreSQL/PGlite (`<schema>.sync_contenders`), a Map in memory. The
 * processor stages a report before its checkpoint moves past it, so a crash
 * never loses an open window.
 */
import { runMigrations } from '../../core/migrator.js';
import { quoteIdent, type SqlClient } from '../../core/sql-client.js';
import type { ContenderInput } from '../../conflicts/types.js';
import { migrations } from './sql/index.generated.js';

/** The entity types `resolve-sync-conflicts` settles. */
export type SettledEntityType = 'inventory' | 'order';

/** A report waiting for its window. */
export interface StagedContender {
  eventId: string;
  creatorId: string;
  entityType: SettledEntityType;
  /** Product or order id. */
  entityId: string;
  /** The time windows are cut by: the source's time, never later than the report's arrival. */
  atMs: number;
  contender: ContenderInput;
}

/** An entity with reports waiting, and its earliest report. */
export interface OpenEntity {
  creatorId: string;
  entityType: SettledEntityType;
  entityId: string;
  anchorMs: number;
}

/** Storage of waiting reports. */
export interface ContenderStaging {
  migrate(): Promise<void>;
  /** Stage reports; a report staged before is ignored. */
  add(rows: readonly StagedContender[]): Promise<void>;
  /** Every entity with waiting reports. */
  open(): Promise<OpenEntity[]>;
  /** The waiting reports of one entity, by time then event id. */
  load(entity: Omit<OpenEntity, 'anchorMs'>): Promise<StagedContender[]>;
  /**
   * The waiting reports of several entities in one read, keyed by {@link entityKey},
   * each list by time then event id (an entity without reports is absent).
   */
  loadMany(entities: readonly Omit<OpenEntity, 'anchorMs'>[]): Promise<Map<string, StagedContender[]>>;
  /** Drop settled reports. */
  remove(eventIds: readonly string[]): Promise<void>;
}

/**
 * Migration component of the staging table.
 *
 * @example
 * ```ts
 * await runMigrations(sql, { schema, component: SYNC_CONTENDERS_COMPONENT, migrations });
 * ```
 */
export const SYNC_CONTENDERS_COMPONENT = 'sync_contenders';

/**
 * The key of an entity in {@link ContenderStaging.loadMany}'s answer.
 *
 * @example
 * ```ts
 * (await staging.loadMany([entity])).get(entityKey(entity));
 * ```
 */
export function entityKey(e: { creatorId: string; entityType: string; entityId: string }): string {
  return JSON.stringify([e.creatorId, e.entityType, e.entityId]);
}

function byTime(a: StagedContender, b: StagedContender): number {
  return a.atMs - b.atMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/**
 * Waiting reports in memory (the in-memory store's companion).
 *
 * @example
 * ```ts
 * const staging = new MemoryContenderStaging();
 * ```
 */
export class MemoryContenderStaging implements ContenderStaging {
  readonly #rows = new Map<string, StagedContender>();

  async migrate(): Promise<void> {}

  async add(rows: readonly StagedContender[]): Promise<void> {
    for (const row of rows) if (!this.#rows.has(row.eventId)) this.#rows.set(row.eventId, row);
  }

  async open(): Promise<OpenEntity[]> {
    const open = new Map<string, OpenEntity>();
    for (const r of this.#rows.values()) {
      const key = JSON.stringify([r.creatorId, r.entityType, r.entityId]);
      const seen = open.get(key);
      if (!seen)
        open.set(key, {
          creatorId: r.creatorId,
          entityType: r.entityType,
          entityId: r.entityId,
          anchorMs: r.atMs,
        });
      else seen.anchorMs = Math.min(seen.anchorMs, r.atMs);
    }
    return [...open.values()];
  }

  async load(entity: Omit<OpenEntity, 'anchorMs'>): Promise<StagedContender[]> {
    return [...this.#rows.values()]
      .filter(
        (r) =>
          r.creatorId === entity.creatorId &&
          r.entityType === entity.entityType &&
          r.entityId === entity.entityId,
      )
      .sort(byTime);
  }

  async loadMany(entities: readonly Omit<OpenEntity, 'anchorMs'>[]): Promise<Map<string, StagedContender[]>> {
    const wanted = new Set(entities.map(entityKey));
    const out = new Map<string, StagedContender[]>();
    for (const r of this.#rows.values()) {
      const key = entityKey(r);
      if (!wanted.has(key)) continue;
      const list = out.get(key);
      if (list) list.push(r);
      else out.set(key, [r]);
    }
    for (const list of out.values()) list.sort(byTime);
    return out;
  }

  async remove(eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.#rows.delete(id);
  }
}

/**
 * Waiting reports in `<schema>.sync_contenders`.
 *
 * @example
 * ```ts
 * const staging = new SqlContenderStaging(store.sql!, store.schema);
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

  async add(rows: readonly StagedContender[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#sql.query(
      `INSERT INTO ${this.#table} (event_id, creator_id, entity_type, entity_id, at_ms, contender)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[])
       ON CONFLICT (event_id) DO NOTHING`,
      [
        rows.map((r) => r.eventId),
        rows.map((r) => r.creatorId),
        rows.map((r) => r.entityType),
        rows.map((r) => r.entityId),
        rows.map((r) => r.atMs),
        rows.map((r) => JSON.stringify(r.contender)),
      ],
    );
  }

  async open(): Promise<OpenEntity[]> {
    const { rows } = await this.#sql.query<{
      creator_id: string;
      entity_type: SettledEntityType;
      entity_id: string;
      anchor_ms: string | number;
    }>(
      `SELECT creator_id, entity_type, entity_id, min(at_ms) AS anchor_ms
         FROM ${this.#table} GROUP BY creator_id, entity_type, entity_id`,
    );
    return rows.map((r) => ({
      creatorId: r.creator_id,
      entityType: r.entity_type,
      entityId: r.entity_id,
      anchorMs: Number(r.anchor_ms),
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
      .sort(byTime);
  }

  async loadMany(entities: readonly Omit<OpenEntity, 'anchorMs'>[]): Promise<Map<string, StagedContender[]>> {
    const out = new Map<string, StagedContender[]>();
    if (entities.length === 0) return out;
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
    for (const r of rows) {
      const row: StagedContender = {
        creatorId: r.creator_id,
        entityType: r.entity_type,
        entityId: r.entity_id,
        eventId: r.event_id,
        atMs: Number(r.at_ms),
        contender:
          typeof r.contender === 'string' ? (JSON.parse(r.contender) as ContenderInput) : r.contender,
      };
      const key = entityKey(row);
      const list = out.get(key);
      if (list) list.push(row);
      else out.set(key, [row]);
    }
    // Sorted here, by the same comparison as load(): the database's collation may order ids differently.
    for (const list of out.values()) list.sort(byTime);
    return out;
  }

  async remove(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.#sql.query(`DELETE FROM ${this.#table} WHERE event_id = ANY($1::text[])`, [[...eventIds]]);
  }
}
