/**
 * The settle passes of `resolve-sync-conflicts`. A pass takes up to
 * `concurrency` due entities that no other pass holds, reads their reports
 * (from the index, or one query for those known only from a reload) and the
 * states before their windows (one query per table), and settles their
 * windows in rounds — each entity's first due window, then its next, … — each
 * round written by one `appendMany`. Passes of different entities overlap:
 * the next starts while the appends of the one before commit; their starts
 * (lease, index reload, choice of entities) go one at a time.
 */
import type { EventEmitter } from 'eventemitter3';
import type { Processor } from '../../processing/index.js';
import type { EventStore } from '../../store/types.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import { AppendCollector } from './append-collector.js';
import {
  entityKey,
  type ContenderStaging,
  type OpenEntity,
  type StagedContender,
} from './contender-staging.js';
import type { DueEntity } from './open-index.js';
import type { PreparedWindows } from './prepared-windows.js';
import type { SettledReportRemoval } from './settled-report-removal.js';
import type { StagedReports } from './staged-reports.js';
import type { SyncConflictEvents } from './sync-conflict-events.js';
import { readBases } from './window-bases.js';
import type { WindowSchedule } from './window-schedule.js';
import type { WindowSettler } from './window-settler.js';

/**
 * What one `SyncConflictProcessor.settleDue` did.
 *
 * @example
 * ```ts
 * const { applied, resolved, escalated } = await conflicts.settleDue();
 * ```
 */
export interface SettleResult {
  /** Lone reports applied as they were. */
  applied: number;
  /** Conflicts resolved automatically. */
  resolved: number;
  /** Conflicts handed to the manual queue. */
  escalated: number;
}

/** What one pass did, and its first failure (those entities stay open). */
export interface PassOutcome {
  result: SettleResult;
  failure: { error: unknown } | undefined;
}

/** A pass started: `done` once its appends committed; `capped` when more were due than it took. */
export interface StartedPass {
  done: Promise<PassOutcome>;
  capped: boolean;
}

/** What passes read, write and tell: the processor's parts. */
export interface SettlePassParts {
  store: EventStore;
  readModels: ReadModelSet;
  staging: ContenderStaging;
  /** Only the lease holder settles. */
  processor: Pick<Processor, 'leaseHeld'>;
  reports: StagedReports;
  schedule: WindowSchedule;
  settler: WindowSettler;
  prepared: PreparedWindows;
  removal: SettledReportRemoval;
  /** Hears each settled window. */
  events: EventEmitter<SyncConflictEvents>;
  /** Physical clock, ms. */
  now: () => number;
  /** Most entities one pass settles. */
  concurrency: number;
}

/**
 * Starts and tracks settle passes.
 *
 * @example
 * ```ts
 * const passes = new SettlePasses(parts);
 * const pass = await passes.start(Date.now());
 * const outcome = await pass?.done;
 * ```
 */
export class SettlePasses {
  readonly #p: SettlePassParts;
  /** Entities whose windows a pass is settling: no other pass takes them until it ends. */
  readonly #inFlight = new Set<string>();
  /** Passes not ended yet (their appends may still be committing). */
  readonly #passes = new Set<Promise<PassOutcome>>();
  /** The start of a pass (lease, index reload, choice of entities): one at a time. */
  #starting: Promise<unknown> = Promise.resolve();

  constructor(parts: SettlePassParts) {
    this.#p = parts;
  }

  /** Whether a pass is settling the entity's windows. */
  holds(entity: Omit<OpenEntity, 'anchorMs'>): boolean {
    return this.#inFlight.has(entityKey(entity));
  }

  /**
   * Settle every window closed by `nowMs`: let the passes in progress end, then start
   * passes until none is due and sum them once their windows are committed. Throws the
   * first failure (its entities stay open).
   */
  async settleAll(nowMs: number): Promise<SettleResult> {
    await this.drain();
    // Passes of `concurrency` entities each, started back to back: their appends share group commits.
    const passes: Promise<PassOutcome>[] = [];
    for (;;) {
      const pass = await this.start(nowMs);
      if (!pass) break;
      passes.push(pass.done);
      if (!pass.capped) break;
    }
    const result = zeroResult();
    let failure: { error: unknown } | undefined;
    for (const outcome of await Promise.all(passes)) {
      result.applied += outcome.result.applied;
      result.resolved += outcome.result.resolved;
      result.escalated += outcome.result.escalated;
      failure ??= outcome.failure;
    }
    if (failure) throw failure.error;
    return result;
  }

  /** Resolves once no pass is in progress. */
  async drain(): Promise<void> {
    await this.#starting.catch(() => undefined);
    while (this.#passes.size > 0) await Promise.all(this.#passes);
  }

  /**
   * Start settling up to `concurrency` due entities that no other pass holds. Null when
   * there are none (or the lease is not held). `capped`: more were due than it took.
   * Passes of different entities run side by side: one computes its resolutions while
   * the appends of the one before commit.
   */
  start(nowMs: number): Promise<StartedPass | null> {
    const start = this.#starting.catch(() => undefined).then(() => this.#choose(nowMs));
    this.#starting = start;
    return start.then((chosen) => {
      if (!chosen) return null;
      const done = this.#settleBatch(chosen.due, nowMs)
        .catch((error: unknown): PassOutcome => ({ result: zeroResult(), failure: { error } }))
        .finally(() => {
          for (const d of chosen.due) this.#inFlight.delete(entityKey(d.entity));
          this.#passes.delete(done);
        });
      this.#passes.add(done);
      return { done, capped: chosen.capped };
    });
  }

  /** Reload the index if due, queued with the starts of passes (a prepare pass reads it too). */
  loadIndexInTurn(): Promise<void> {
    const indexed = this.#starting.catch(() => undefined).then(() => this.#loadIndexIfDue());
    this.#starting = indexed;
    return indexed;
  }

  /** The entities a pass takes (marked in flight), after reloading the index when needed. */
  async #choose(nowMs: number): Promise<{ due: DueEntity[]; capped: boolean } | null> {
    const { processor, reports, schedule, readModels, concurrency } = this.#p;
    if (!processor.leaseHeld) {
      reports.leaseLost();
      return null;
    }
    await this.#loadIndexIfDue();
    const all = reports.index.due((e) => schedule.dueAt(e) <= nowMs && !this.#inFlight.has(entityKey(e)));
    if (all.length === 0) return null;
    const due = all.length > concurrency ? all.slice(0, concurrency) : all;
    // The bases come from the read models: let them fold what was appended so far.
    await readModels.whenCaughtUp();
    for (const d of due) this.#inFlight.add(entityKey(d.entity));
    return { due, capped: due.length < all.length };
  }

  /** Reload the index from the staging table when it is due (staged-reports.ts). Lease held. */
  async #loadIndexIfDue(): Promise<void> {
    if (this.#p.reports.reloadDue()) {
      // A reload forgets what passes in progress know: let them end first.
      while (this.#passes.size > 0) await Promise.all(this.#passes);
      await this.#p.reports.reload();
    }
  }

  /**
   * Settle the due windows of some entities: their windows are resolved together and
   * their appends written together, by one `appendMany` per round (an entity's first due
   * window, then its next, …): one transaction with the audit rows, the staging delete and
   * the read models' fold. A failure leaves its entity open for the next pass.
   */
  async #settleBatch(due: readonly DueEntity[], nowMs: number): Promise<PassOutcome> {
    const { store, readModels, staging, reports, schedule, settler, prepared, removal, events } = this.#p;
    const takenAtMs = this.#p.now();
    const result = zeroResult();
    // Reports the index does not know (after a reload) are read in one query.
    const unknown = due.filter((d) => d.rows === null).map((d) => d.entity);
    const loaded = unknown.length === 0 ? new Map() : await staging.loadMany(unknown);
    const states = due.map((d) => {
      const fromTable = d.rows === null ? (loaded.get(entityKey(d.entity)) ?? []) : null;
      return { entity: d.entity, fromTable, rows: d.rows ?? fromTable!, settledIds: [] as string[] };
    });
    let open = states;
    let failure: { error: unknown } | undefined;
    while (open.length > 0) {
      const windows: { state: (typeof states)[number]; window: StagedContender[] }[] = [];
      for (const state of open) {
        const window = schedule.dueWindow(state.rows, nowMs, state.entity);
        if (window && window.length > 0) windows.push({ state, window });
      }
      if (windows.length === 0) break;
      const bases = await readBases(
        readModels,
        windows.map((w) => w.state.entity),
      );
      // Every window's append is collected (each is made before its first await), then all
      // are written by one appendMany: one transaction for the round, its audit rows and
      // its staging delete; an append made later would still be written, on its own.
      const collector = new AppendCollector(store);
      const settling = windows.map((w) =>
        settler.settle(w.state.entity, w.window, bases.get(entityKey(w.state.entity))!, collector.append),
      );
      await collector.flush();
      const outcomes = await Promise.allSettled(settling);
      open = [];
      for (const [i, { state, window }] of windows.entries()) {
        const outcome = outcomes[i]!;
        if (outcome.status === 'rejected') {
          failure ??= { error: outcome.reason };
          continue;
        }
        const record = outcome.value;
        if (!record) result.applied += 1;
        else if (record.status === 'pending') result.escalated += 1;
        else result.resolved += 1;
        state.settledIds.push(...window.map((r) => r.eventId));
        // A later window of the same entity starts from the state this one left.
        state.rows = state.rows.slice(window.length);
        open.push(state);
        const anchorMs = window[0]!.atMs;
        const { entity } = state;
        events.emit(
          'settled',
          { creatorId: entity.creatorId, entityType: entity.entityType, entityId: entity.entityId },
          record,
          {
            reports: window.length,
            anchorMs,
            dueAtMs: schedule.dueAt({ ...entity, anchorMs }),
            takenAtMs,
          },
        );
      }
    }
    for (const state of states) {
      reports.index.settled(state.entity, state.fromTable, state.settledIds);
      prepared.forget(state.entity);
    }
    // The settled reports leave the staging off the settling path: settling them again
    // (after a crash before the delete) writes nothing, every outcome being keyed.
    // Those not deleted with their outcome: a repeat of an append that committed before.
    removal.afterPass(states.flatMap((s) => s.settledIds));
    return { result, failure };
  }
}

function zeroResult(): SettleResult {
  return { applied: 0, resolved: 0, escalated: 0 };
}
