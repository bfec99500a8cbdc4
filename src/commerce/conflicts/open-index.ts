/**
 * Which entities have reports waiting and from when, kept in memory so the
 * settling tick does not scan the staging table. The staging table stays the
 * truth: the index is rebuilt from it periodically (a report staged by an
 * instance that held the lease before is found then).
 */
import type { OpenEntity, StagedContender } from './contender-staging.js';

interface Entry {
  entity: OpenEntity;
  /** Earliest report noted since the entity's current settle began (Infinity: none). */
  notedMs: number;
}

const keyOf = (e: { creatorId: string; entityType: string; entityId: string }): string =>
  JSON.stringify([e.creatorId, e.entityType, e.entityId]);

/**
 * The in-memory index of open entities.
 *
 * @example
 * ```ts
 * const index = new OpenEntityIndex();
 * index.reload(await staging.open());
 * index.due((e) => e.anchorMs + 6_000 <= Date.now());
 * ```
 */
export class OpenEntityIndex {
  readonly #entries = new Map<string, Entry>();

  /** Replace everything with what the staging holds. */
  reload(open: readonly OpenEntity[]): void {
    this.#entries.clear();
    for (const entity of open) this.#entries.set(keyOf(entity), { entity: { ...entity }, notedMs: Infinity });
  }

  /** Reports just staged. */
  note(rows: readonly StagedContender[]): void {
    for (const r of rows) {
      const key = keyOf(r);
      const entry = this.#entries.get(key);
      if (!entry) {
        const entity = {
          creatorId: r.creatorId,
          entityType: r.entityType,
          entityId: r.entityId,
          anchorMs: r.atMs,
        };
        this.#entries.set(key, { entity, notedMs: r.atMs });
        continue;
      }
      entry.entity.anchorMs = Math.min(entry.entity.anchorMs, r.atMs);
      entry.notedMs = Math.min(entry.notedMs, r.atMs);
    }
  }

  /** The open entities `isDue` accepts; their settle begins now. */
  due(isDue: (entity: OpenEntity) => boolean): OpenEntity[] {
    const out: OpenEntity[] = [];
    for (const entry of this.#entries.values()) {
      if (!isDue(entry.entity)) continue;
      entry.notedMs = Infinity;
      out.push(entry.entity);
    }
    return out;
  }

  /** An entity's settle ended with `earliestLeftMs` (undefined: nothing left of what it loaded). */
  settled(entity: OpenEntity, earliestLeftMs: number | undefined): void {
    const key = keyOf(entity);
    const entry = this.#entries.get(key);
    if (!entry) return;
    const anchor = Math.min(earliestLeftMs ?? Infinity, entry.notedMs);
    if (anchor === Infinity) this.#entries.delete(key);
    else entry.entity.anchorMs = anchor;
  }
}
