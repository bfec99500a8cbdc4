/**
 * Which entities have reports waiting, from when, and — once known — which
 * reports: kept in memory so the settling tick neither scans nor reads the
 * staging table. The staging table stays the truth: the index is rebuilt from
 * it when the lease is taken and now and then, after which an entity's reports
 * are read from the table once (its first settle) and followed in memory from
 * then on, since this instance stages every new report itself.
 */
import { entityKey, type OpenEntity, type StagedContender, type StagedEntity } from './contender-staging.js';

interface Entry {
  entity: OpenEntity;
  /** The reports known to wait, by event id. */
  rows: Map<string, StagedContender>;
  /** Whether `rows` is every report the staging holds for the entity (else read the table). */
  complete: boolean;
}

/**
 * A due entity and, when the index knows them all, its waiting reports by time.
 *
 * @example
 * ```ts
 * for (const { entity, rows } of index.due(isDue)) rows ?? (await staging.load(entity));
 * ```
 */
export interface DueEntity {
  entity: OpenEntity;
  /** Null: read them from the staging table. */
  rows: StagedContender[] | null;
}

function byTime(a: StagedContender, b: StagedContender): number {
  return a.atMs - b.atMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

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

  /**
   * Replace everything with what the staging holds (reports to be read from it). With
   * `keepKnown`, an entity whose reports the index knows in full and that the staging
   * holds as many of, with the same sum of times, keeps them (and is not read again),
   * unless `changed` names it. Sound only where the staging can have gained reports
   * but lost none since the index learned them (this instance staged and settled
   * everything meanwhile, and no report of the entity was staged while `open` was
   * read): the staging's reports then include the index's, and as many means the same.
   * Returns the keys kept.
   */
  reload(
    open: readonly StagedEntity[],
    options: { keepKnown?: boolean; changed?: ReadonlySet<string> } = {},
  ): Set<string> {
    const kept = new Set<string>();
    const previous = new Map(this.#entries);
    this.#entries.clear();
    for (const staged of open) {
      const key = entityKey(staged);
      const known = options.keepKnown ? previous.get(key) : undefined;
      if (known?.complete && !options.changed?.has(key) && sameReports(known, staged)) {
        known.entity.anchorMs = staged.anchorMs;
        this.#entries.set(key, known);
        kept.add(key);
        continue;
      }
      const { creatorId, entityType, entityId, anchorMs } = staged;
      this.#entries.set(key, {
        entity: { creatorId, entityType, entityId, anchorMs },
        rows: new Map(),
        complete: false,
      });
    }
    return kept;
  }

  /** Reports just staged. */
  note(rows: readonly StagedContender[]): void {
    for (const r of rows) {
      const key = entityKey(r);
      const entry = this.#entries.get(key);
      if (!entry) {
        const entity = {
          creatorId: r.creatorId,
          entityType: r.entityType,
          entityId: r.entityId,
          anchorMs: r.atMs,
        };
        // A new entity: every report it has is this one.
        this.#entries.set(key, { entity, rows: new Map([[r.eventId, r]]), complete: true });
        continue;
      }
      entry.rows.set(r.eventId, r);
      entry.entity.anchorMs = Math.min(entry.entity.anchorMs, r.atMs);
    }
  }

  /** The open entities `isDue` accepts, with their reports when known. */
  due(isDue: (entity: OpenEntity) => boolean): DueEntity[] {
    const out: DueEntity[] = [];
    for (const entry of this.#entries.values()) {
      if (!isDue(entry.entity)) continue;
      out.push({ entity: entry.entity, rows: entry.complete ? [...entry.rows.values()].sort(byTime) : null });
    }
    return out;
  }

  /** Visit every open entity (the settling timer looks for the next window to fall due). */
  forEachOpen(visit: (entity: OpenEntity) => void): void {
    for (const entry of this.#entries.values()) visit(entry.entity);
  }

  /**
   * An entity's settle ended: `loaded` are the reports read from the table for it (if
   * any were), `settledIds` the reports its windows took. Reports noted meanwhile stay.
   */
  settled(
    entity: OpenEntity,
    loaded: readonly StagedContender[] | null,
    settledIds: readonly string[],
  ): void {
    const key = entityKey(entity);
    const entry = this.#entries.get(key);
    if (!entry) return;
    if (loaded) {
      for (const r of loaded) if (!entry.rows.has(r.eventId)) entry.rows.set(r.eventId, r);
      entry.complete = true;
    }
    for (const id of settledIds) entry.rows.delete(id);
    if (!entry.complete) return; // still unknown: the table is read again next time
    if (entry.rows.size === 0) {
      this.#entries.delete(key);
      return;
    }
    let anchor = Infinity;
    for (const r of entry.rows.values()) anchor = Math.min(anchor, r.atMs);
    entry.entity.anchorMs = anchor;
  }
}

/** Whether the index's reports of an entity are as many as the staging's, with the same sum of times. */
function sameReports(known: Entry, staged: StagedEntity): boolean {
  if (known.rows.size !== staged.reports) return false;
  let sum = 0;
  for (const r of known.rows.values()) sum += r.atMs;
  return sum === staged.atMsSum;
}
