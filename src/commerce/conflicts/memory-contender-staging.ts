/**
 * The in-memory adapter of {@link ContenderStaging}: the in-memory store's
 * companion (one per store, so a restarted processor finds its open windows).
 */
import {
  compareStaged,
  entityKey,
  groupByEntity,
  type ContenderStaging,
  type OpenEntity,
  type StagedContender,
  type StagedEntity,
} from './contender-staging.js';

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

  async open(): Promise<StagedEntity[]> {
    const open = new Map<string, StagedEntity>();
    for (const r of this.#rows.values()) {
      const key = entityKey(r);
      const seen = open.get(key);
      if (!seen)
        open.set(key, {
          creatorId: r.creatorId,
          entityType: r.entityType,
          entityId: r.entityId,
          anchorMs: r.atMs,
          reports: 1,
          atMsSum: r.atMs,
        });
      else {
        seen.anchorMs = Math.min(seen.anchorMs, r.atMs);
        seen.reports += 1;
        seen.atMsSum += r.atMs;
      }
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
      .sort(compareStaged);
  }

  async loadMany(entities: readonly Omit<OpenEntity, 'anchorMs'>[]): Promise<Map<string, StagedContender[]>> {
    const wanted = new Set(entities.map(entityKey));
    return groupByEntity([...this.#rows.values()].filter((r) => wanted.has(entityKey(r))));
  }

  async remove(eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.#rows.delete(id);
  }
}
