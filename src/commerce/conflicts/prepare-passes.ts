/**
 * Resolving windows ahead. Halfway through a window's grace — late reports
 * have had half of it to arrive — a prepare pass resolves it once with the
 * reports staged so far over the state before it (`ConflictResolver.prepare`:
 * nothing written, nothing visible), so that settling it when due is only the
 * write (`prepared-windows.ts` decides whether that resolution still holds).
 * Only conflicts are prepared; a lone report costs nothing to resolve. One
 * prepare pass at a time; only the lease holder prepares.
 */
import type { ConflictResolver, PreparedResolution } from '../../conflicts/service/conflict-resolver.js';
import type { Processor } from '../../processing/index.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import {
  entityKey,
  type ContenderStaging,
  type OpenEntity,
  type StagedContender,
} from './contender-staging.js';
import type { PreparedWindows } from './prepared-windows.js';
import type { SettlePasses } from './settle-passes.js';
import type { StagedReports } from './staged-reports.js';
import { readBases } from './window-bases.js';
import { resolveOptions, resolveRequest } from './window-resolution.js';
import type { WindowSchedule } from './window-schedule.js';

/** Entities one slice of a prepare pass resolves before it yields the event loop. */
const PREPARE_SLICE = 64;

/** What prepare passes read and where they keep what they resolve: the processor's parts. */
export interface PreparePassParts {
  readModels: ReadModelSet;
  staging: ContenderStaging;
  resolver: ConflictResolver;
  /** Only the lease holder prepares. */
  processor: Pick<Processor, 'leaseHeld'>;
  reports: StagedReports;
  schedule: WindowSchedule;
  prepared: PreparedWindows;
  /** An entity a settle pass holds is left to it; the index is reloaded in turn with their starts. */
  passes: Pick<SettlePasses, 'holds' | 'loadIndexInTurn'>;
}

/**
 * Runs prepare passes, one at a time.
 *
 * @example
 * ```ts
 * const preparer = new PreparePasses(parts);
 * const resolvedAhead = await preparer.prepareClosing(Date.now());
 * ```
 */
export class PreparePasses {
  readonly #p: PreparePassParts;
  /** The prepare pass in progress (one at a time). */
  #preparing: Promise<void> | null = null;

  constructor(parts: PreparePassParts) {
    this.#p = parts;
  }

  /** Whether a prepare pass is in progress. */
  get busy(): boolean {
    return this.#preparing !== null;
  }

  /** Resolves once the prepare pass in progress, if any, has ended (it never rejects). */
  async idle(): Promise<void> {
    await this.#preparing;
  }

  /**
   * Resolve ahead (nothing written) the windows whose grace is half gone by `nowMs`
   * and that are not due yet; returns how many. Waits for a prepare pass in progress.
   */
  async prepareClosing(nowMs: number): Promise<number> {
    while (this.#preparing) await this.#preparing;
    const run = this.#preparePass(nowMs);
    this.#preparing = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      this.#preparing = null;
    }
  }

  async #preparePass(nowMs: number): Promise<number> {
    const { processor, passes, reports, schedule, prepared, staging, readModels, resolver } = this.#p;
    // Only the holder settles. A reload of the index is queued with the starts of passes.
    if (!processor.leaseHeld) return 0;
    await passes.loadIndexInTurn();
    const candidates = reports.index.due(
      (e) =>
        schedule.prepareAt(e) <= nowMs && schedule.dueAt(e) > nowMs && !passes.holds(e) && !prepared.has(e),
    );
    if (candidates.length === 0) return 0;
    for (const d of candidates) prepared.claim(d.entity);
    // Entities known only from a reload of the index: their reports in one read.
    const unknown = candidates.filter((d) => d.rows === null).map((d) => d.entity);
    const loaded = unknown.length === 0 ? new Map() : await staging.loadMany(unknown);
    const chosen: { entity: OpenEntity; window: StagedContender[] }[] = [];
    for (const d of candidates) {
      const rows: StagedContender[] = d.rows ?? loaded.get(entityKey(d.entity)) ?? [];
      const window = schedule.cut(rows, d.entity);
      // A lone report costs nothing to resolve: only conflicts are prepared.
      if (window.length >= 2) chosen.push({ entity: { ...d.entity }, window });
    }
    if (chosen.length === 0) return 0;
    await readModels.whenCaughtUp();
    const bases = await readBases(
      readModels,
      chosen.map((c) => c.entity),
    );
    let resolvedAhead = 0;
    for (let i = 0; i < chosen.length; i += PREPARE_SLICE) {
      // The resolutions are CPU: yield between slices so due windows and staging are not held up.
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const { entity, window } of chosen.slice(i, i + PREPARE_SLICE)) {
        if (passes.holds(entity) || !prepared.has(entity)) continue;
        const base = bases.get(entityKey(entity))!;
        let conflict: PreparedResolution;
        try {
          conflict = resolver.prepare(resolveRequest(entity, window, base), resolveOptions(entity, base));
        } catch {
          continue; // the same input fails again when due, where the failure is reported
        }
        prepared.record(entity, window, base, conflict);
        resolvedAhead += 1;
      }
    }
    return resolvedAhead;
  }
}
