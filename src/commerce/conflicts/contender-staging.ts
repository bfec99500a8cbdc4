/**
 * The port of where reports wait for their detection window to close:
 * durable on PostgreSQL/PGlite (`sql-contender-staging.ts`,
 * `<schema>.sync_contenders`), a Map that lives as long as the store in
 * memory (`memory-contender-staging.ts`); `contenderStagingOf(store)` picks
 * one. The processor stages a report before its checkpoint moves past it, so
 * a crash never loses an open window.
 */
import type { ContenderInput } from '../../conflicts/types.js';
import type { SqlQueryable } from '../../core/sql-client.js';
import type { CheckpointWrite } from '../../processing/index.js';

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

/**
 * An open entity as the staging holds it: how many reports wait and the sum of
 * their times, so that a reload can tell whether what an index already holds
 * for the entity is all of it (the same reports, without reading them again).
 */
export interface StagedEntity extends OpenEntity {
  /** Reports waiting. */
  reports: number;
  /** The sum of their `atMs`. */
  atMsSum: number;
}

/**
 * Storage of waiting reports (the port `resolve-sync-conflicts` stages through).
 *
 * @example
 * ```ts
 * const staging: ContenderStaging = contenderStagingOf(store);
 * await staging.migrate();
 * await staging.add([staged]);
 * ```
 */
export interface ContenderStaging {
  migrate(): Promise<void>;
  /**
   * Stage reports; a report staged before is ignored. With `via` (the processor's
   * `ctx.withCheckpoint`, SQL) the insert goes out in the statement that moves the
   * checkpoint past the reports: one round trip, and staged no later than the move.
   */
  add(rows: readonly StagedContender[], via?: CheckpointWrite): Promise<void>;
  /** Every entity with waiting reports, with their count and the sum of their times. */
  open(): Promise<StagedEntity[]>;
  /** The waiting reports of one entity, by time then event id. */
  load(entity: Omit<OpenEntity, 'anchorMs'>): Promise<StagedContender[]>;
  /**
   * The waiting reports of several entities in one read, keyed by {@link entityKey},
   * each list by time then event id (an entity without reports is absent).
   */
  loadMany(entities: readonly Omit<OpenEntity, 'anchorMs'>[]): Promise<Map<string, StagedContender[]>>;
  /**
   * Drop settled reports; in `tx` when given (the transaction of the append that settled
   * them, so that they leave with their outcome or not at all).
   */
  remove(eventIds: readonly string[], tx?: SqlQueryable): Promise<void>;
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

/**
 * The order of an entity's waiting reports: by time, then event id (compared
 * here, not by a database collation, so every adapter answers alike).
 *
 * @example
 * ```ts
 * rows.sort(compareStaged);
 * ```
 */
export function compareStaged(a: StagedContender, b: StagedContender): number {
  return a.atMs - b.atMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/**
 * Reports grouped by entity ({@link entityKey}), each list in
 * {@link compareStaged} order: the answer of {@link ContenderStaging.loadMany}.
 *
 * @example
 * ```ts
 * const byEntity = groupByEntity(rows);
 * ```
 */
export function groupByEntity(rows: Iterable<StagedContender>): Map<string, StagedContender[]> {
  const out = new Map<string, StagedContender[]>();
  for (const row of rows) {
    const key = entityKey(row);
    const list = out.get(key);
    if (list) list.push(row);
    else out.set(key, [row]);
  }
  for (const list of out.values()) list.sort(compareStaged);
  return out;
}
