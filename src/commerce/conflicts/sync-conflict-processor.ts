/**
 * `resolve-sync-conflicts` as a processor. It reads every stock and order
 * report from the log and stages it (durably: the checkpoint moves only once
 * the report is staged). A timer, woken when a window falls due, settles
 * the closed windows in passes (passes of different entities overlap): a
 * lone report is applied as it is; two or more go through the conflict
 * resolver (source priority, entity policies, business rules, escalation),
 * which appends `inventory.sync_conflict_detected` (or `conflict.detected`),
 * the outcome and the resolved value the read models fold in one append, and
 * audits the conflict in its transaction. Halfway through a window's grace it
 * is resolved ahead, and that resolution is written when due if the window and
 * its base did not change. Escalated conflicts wait in the manual queue,
 * and an admin's decision (`conflict.resolved`, manual) reaches the read
 * models through this processor too.
 */
import { EventEmitter } from 'eventemitter3';
import type { ConflictRecord } from '../../conflicts/service/audit/audit-record.js';
import { policyFor, windowFor } from '../../conflicts/config.js';
import { CONFLICT_RESOLVED_EVENT, type ConflictResolvedData } from '../../conflicts/service/events.js';
import type { JsonObject } from '../../conflicts/json.js';
import {
  ConflictResolver,
  type PreparedResolution,
  type ResolveOptions,
} from '../../conflicts/service/conflict-resolver.js';
import { jsonEquals } from '../../conflicts/json.js';
import { conflictIdFor } from '../../conflicts/pipeline/conflict-id.js';
import {
  GENERIC_CONFLICT_DETECTED_EVENT,
  type ConflictDetectedData,
} from '../../conflicts/service/events.js';
import { SYNC_CONFLICT_DETECTED_EVENT } from './commerce-conflict-names.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { createProcessor, type LeaseOptions, type Processor } from '../../processing/index.js';
import type { LogCheckpoint } from '../../core/checkpoint.js';
import type { SqlQueryable } from '../../core/sql-client.js';
import { actorMetadata, type ActorRef } from '../../access/acting-principal.js';
import { actorFromMetadata } from '../../access/actor-check.js';
import type { EventMetadata, EventStore, StoredEvent } from '../../store/types.js';
import type { CommerceOrderRow } from '../read-models/commerce-orders.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import {
  entityKey,
  type ContenderStaging,
  type OpenEntity,
  type SettledEntityType,
  type StagedContender,
} from './contender-staging.js';
import { contenderStagingOf } from './contender-staging-of.js';
import {
  commerceConflictConfig,
  withRefundsOnOrders,
  type CommerceConflictConfigInput,
} from './commerce-conflict-config.js';
import {
  ORDER_RECONCILED_EVENT,
  ORDER_REPORTED_EVENT,
  STOCK_REPORTED_EVENT,
  registerSyncReportEvents,
} from './report-events.js';
import { OpenEntityIndex, type DueEntity } from './open-index.js';
import { toStaged } from './report-contender.js';
import { AppendCollector } from './append-collector.js';
import { dueWindow } from './settle-window.js';
import { loneReportNeedsRules } from './lone-report.js';
import { settledOutcome } from './settled-outcome.js';
import { commerceDecisionIssues } from './decision-values.js';

/**
 * The processor's name (checkpoint, lease, dead letters), the specification's function name.
 *
 * @example
 * ```ts
 * await engine.processorLag(RESOLVE_SYNC_CONFLICTS);
 * ```
 */
export const RESOLVE_SYNC_CONFLICTS = 'resolve-sync-conflicts';

/**
 * Backstop rebuild of the open-entity index from the staging table, ms. The index is
 * rebuilt whenever the lease is taken (reports the previous holder staged); this
 * catches anything staged outside this instance's view between takeovers.
 */
const INDEX_RELOAD_MS = 10_000;

/** Entities one slice of a prepare pass resolves before it yields the event loop. */
const PREPARE_SLICE = 64;

/** The metadata `source` of the events it appends. */
const SOURCE = RESOLVE_SYNC_CONFLICTS;

/**
 * Options of {@link SyncConflictProcessor}.
 *
 * @example
 * ```ts
 * const commerce = createCommerce({
 *   store,
 *   conflicts: { settleMs: 2_000, tickMs: 500, concurrency: 4, config: { thresholds: { orderValue: 2_000 } } },
 * });
 * ```
 */
export interface SyncConflictOptions {
  /** Conflict configuration (priorities, windows, thresholds, policies), merged over the defaults. */
  config?: CommerceConflictConfigInput;
  /**
   * Grace after a window's end for late reports, ms. Default 1,000. Halfway through it the
   * window is resolved ahead (nothing written), so that settling it when due is only the write.
   */
  settleMs?: number;
  /**
   * The settling timer's cadence, ms: it also wakes when a window falls due within it, so
   * a window is settled as soon as it closes; a window already due when its report is staged
   * waits for the next tick. Default 250.
   */
  tickMs?: number;
  /** Backstop poll of the processor, ms. Default 1,000. */
  pollIntervalMs?: number;
  /** Lease of the processor (SQL stores); only the holder settles windows. */
  lease?: false | LeaseOptions;
  /**
   * Most entities one pass settles: their reads are one query per table and their appends
   * share group commits (each entity's windows stay in order). More due entities are taken
   * by further passes, started while the appends of the one before commit. Default 256.
   */
  concurrency?: number;
  /** Physical clock, ms; injectable for tests. */
  now?: () => number;
}

/** What one {@link SyncConflictProcessor.settleDue} did. */
export interface SettleResult {
  /** Lone reports applied as they were. */
  applied: number;
  /** Conflicts resolved automatically. */
  resolved: number;
  /** Conflicts handed to the manual queue. */
  escalated: number;
}

/** What one pass did, and its first failure (those entities stay open). */
interface PassOutcome {
  result: SettleResult;
  failure: { error: unknown } | undefined;
}

/** Events of a {@link SyncConflictProcessor}. */
export interface SyncConflictEvents {
  /**
   * A window was settled; `record` is the audited conflict (absent for a lone report).
   * `dueAtMs` is when it closed, `takenAtMs` when a pass took it (both on the processor's
   * clock): the wait before the work, then the work and its commit up to now.
   */
  settled: [
    entity: Omit<OpenEntity, 'anchorMs'>,
    record: ConflictRecord | undefined,
    window: { reports: number; anchorMs: number; dueAtMs: number; takenAtMs: number },
  ];
  error: [error: unknown];
}

/**
 * Settle competing stock and order reports by source priority and business rules.
 *
 * @example
 * ```ts
 * const conflicts = new SyncConflictProcessor(store, commerce.readModels, { settleMs: 500 });
 * await conflicts.start();
 * await store.append(inventoryStream('c1', 'p1'), [stockReportEvent({ creatorId: 'c1', productId: 'p1',
 *   quantity: 8, source: 'tiktok_webhook', sourceId: 'shop', reportedAt: new Date().toISOString() })]);
 * ```
 */
export class SyncConflictProcessor extends EventEmitter<SyncConflictEvents> {
  readonly processor: Processor;
  /**
   * The conflict resolver, every creator's audit unscoped: the processor's
   * own access. A caller reads the audit, queue and reports through
   * `commerce.conflictQueue` or `commerce.as(principal).conflicts`.
   */
  readonly unscopedResolver: ConflictResolver;
  readonly staging: ContenderStaging;
  readonly #store: EventStore;
  readonly #readModels: ReadModelSet;
  readonly #settleMs: number;
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #concurrency: number;
  readonly #index = new OpenEntityIndex();
  #indexLoadedAt = -Infinity;
  /** Whether the lease was held at the last settle (a newly taken lease reloads the index). */
  #heldLease = false;
  #running = false;
  #notedDuringReload: StagedContender[] | null = null;
  /**
   * Held while a reload reads the staging table: reports wait to be staged until it is
   * read, so the table holds every report the index knows and none staged meanwhile.
   */
  #reloadGate: Promise<void> | null = null;
  /** Stagings in progress (the insert and the note in the index). */
  readonly #stagings = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (performance.now() ms); Infinity when none is armed. */
  #timerAt = Infinity;
  /** Entities whose windows a pass is settling: no other pass takes them until it ends. */
  readonly #inFlight = new Set<string>();
  /** Passes not ended yet (their appends may still be committing). */
  readonly #passes = new Set<Promise<PassOutcome>>();
  /** The start of a pass (lease, index reload, choice of entities): one at a time. */
  #starting: Promise<unknown> = Promise.resolve();
  /** Deletes of settled reports from the staging, in order. */
  #removing: Promise<void> = Promise.resolve();
  /**
   * Windows resolved ahead, halfway through their grace, by entity key: used when the
   * window falls due with the same reports and the same base, else resolved afresh.
   */
  readonly #prepared = new Map<string, PreparedWindow>();
  /** The prepare pass in progress (one at a time). */
  #preparing: Promise<void> | null = null;
  /**
   * The reports of the windows being written, by what their append names them with: the
   * conflict id (a conflict) or the report's id (a lone report, the outcome's causation).
   * The staging hook deletes them in that append's transaction.
   */
  readonly #writing = new Map<string, readonly string[]>();
  /** Reports deleted with their outcome (the pass's own delete skips them). */
  readonly #removedWithOutcome = new Set<string>();
  readonly #removeStagingHook: () => void;

  constructor(store: EventStore, readModels: ReadModelSet, options: SyncConflictOptions = {}) {
    super();
    for (const [name, value] of [
      ['settleMs', options.settleMs],
      ['tickMs', options.tickMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0))
        throw new InvalidArgumentError(`${name} must be a finite number >= 0, got ${String(value)}`);
    }
    if (
      options.concurrency !== undefined &&
      !(Number.isInteger(options.concurrency) && options.concurrency >= 1)
    )
      throw new InvalidArgumentError(
        `concurrency must be an integer >= 1, got ${String(options.concurrency)}`,
      );
    this.#store = store;
    this.#readModels = readModels;
    this.#settleMs = options.settleMs ?? 1_000;
    this.#tickMs = options.tickMs ?? 250;
    this.#now = options.now ?? Date.now;
    this.#concurrency = options.concurrency ?? 256;
    registerSyncReportEvents(store);
    this.unscopedResolver = new ConflictResolver({
      store,
      now: this.#now,
      config: commerceConflictConfig(withRefundsOnOrders(options.config ?? {})),
      // Twenty figures from four sources make a 5.5 kB detected + escalated pair in full; the
      // audit row keeps every contender, the log names each source once.
      eventDetail: 'summary',
      // A decided value the settled event cannot carry is refused, not dropped after the audit.
      validateDecision: commerceDecisionIssues,
    });
    this.staging = contenderStagingOf(store);
    this.processor = createProcessor({
      store,
      name: RESOLVE_SYNC_CONFLICTS,
      delivery: 'at-least-once',
      // Every batch's checkpoint is stored at once (no deferral): a report delivered again
      // after its window settled would be staged again and cut, with a late report, into a
      // window of its own — audited twice (test/commerce/staging-takeover-late.test.ts).
      skippedCheckpointMs: 0,
      eventTypes: [STOCK_REPORTED_EVENT, ORDER_REPORTED_EVENT, CONFLICT_RESOLVED_EVENT],
      handleBatch: (events) => this.#handle(events),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.lease === undefined ? {} : { lease: options.lease }),
    });
    this.processor.on('error', (err: unknown) => this.emit('error', err));
    this.#removeStagingHook = store.addInlineHook({
      name: 'resolve-sync-conflicts.staging',
      eventTypes: new Set([
        SYNC_CONFLICT_DETECTED_EVENT,
        GENERIC_CONFLICT_DETECTED_EVENT,
        'inventory.stock_updated',
        ORDER_RECONCILED_EVENT,
      ]),
      apply: ({ tx, events }) => this.#removeSettled(tx, events),
    });
  }

  /**
   * Delete the staged reports of the windows an append settles, in its transaction: a
   * processor that dies after the commit cannot leave them staged, to be cut into another
   * window with a late report by the next holder (and audited twice).
   */
  async #removeSettled(
    tx: SqlQueryable | undefined,
    events: readonly StoredEvent[],
  ): Promise<void | (() => void)> {
    const ids: string[] = [];
    for (const e of events) {
      const key =
        e.type === SYNC_CONFLICT_DETECTED_EVENT || e.type === GENERIC_CONFLICT_DETECTED_EVENT
          ? (e.data as ConflictDetectedData).conflictId
          : e.metadata.causationId;
      const reports = key === undefined ? undefined : this.#writing.get(key);
      if (reports) ids.push(...reports);
    }
    if (ids.length === 0) return;
    if (tx) await this.staging.remove(ids, tx);
    return () => {
      // In memory (no transaction): right after the commit.
      if (!tx) void this.staging.remove(ids);
      for (const id of ids) this.#removedWithOutcome.add(id);
    };
  }

  /** Create the staging table, the conflict audit and the processing tables. */
  async migrate(): Promise<void> {
    await this.staging.migrate();
    await this.unscopedResolver.migrate();
    await this.processor.migrate();
  }

  /** Migrate, start the processor and the settling timer. */
  async start(): Promise<void> {
    await this.migrate();
    await this.processor.start();
    this.#running = true;
    this.#arm(this.#tickMs);
  }

  /** Stop the timer, let the passes in progress end, stop the processor. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#disarm();
    await this.#preparing;
    await this.#drain();
    await this.#removing;
    await this.processor.stop();
    this.#removeStagingHook();
    this.unscopedResolver.close();
  }

  /**
   * Resolve once the processor has staged every report in the log as it is now.
   * The log's head stops below another session's open append, so a report
   * committed after that append began may not be included: pass `to` (the
   * report's append checkpoint) to wait for it.
   */
  async whenCaughtUp(options: { timeoutMs?: number; to?: LogCheckpoint } = {}): Promise<void> {
    await this.processor.whenCaughtUp(options);
  }

  /**
   * Settle every window closed by `nowMs` (default now): hosts may call this to
   * settle at once (a manual trigger). It lets the timer's passes in progress
   * end first and returns once its own windows are committed. Only the lease
   * holder settles (elsewhere this returns zeros and changes nothing).
   */
  async settleDue(nowMs: number = this.#now()): Promise<SettleResult> {
    await this.#drain();
    // Passes of `concurrency` entities each, started back to back: their appends share group commits.
    const passes: Promise<PassOutcome>[] = [];
    for (;;) {
      const pass = await this.#startPass(nowMs);
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
  async #drain(): Promise<void> {
    await this.#starting.catch(() => undefined);
    while (this.#passes.size > 0) await Promise.all(this.#passes);
  }

  #dueAt(entity: OpenEntity): number {
    return (
      entity.anchorMs + windowFor(this.unscopedResolver.engine.config, entity.entityType) + this.#settleMs
    );
  }

  /** Halfway through the grace: late reports have had half of it to arrive. */
  #prepareAt(entity: OpenEntity): number {
    return this.#dueAt(entity) - this.#settleMs / 2;
  }

  /**
   * Resolve ahead (nothing written) the windows whose grace is half gone by `nowMs`
   * and that are not due yet, so that settling them when due is only the write. The
   * timer does this on its own; hosts and tests may call it. A window a late report
   * joins afterwards, or whose base moves, is resolved afresh when due.
   */
  async prepareClosing(nowMs: number = this.#now()): Promise<number> {
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
    // Only the holder settles. A reload of the index is queued with the starts of passes.
    if (!this.processor.leaseHeld) return 0;
    const indexed = this.#starting.catch(() => undefined).then(() => this.#loadIndexIfDue());
    this.#starting = indexed;
    await indexed;
    const config = this.unscopedResolver.engine.config;
    const candidates = this.#index.due(
      (e) =>
        this.#prepareAt(e) <= nowMs &&
        this.#dueAt(e) > nowMs &&
        !this.#inFlight.has(entityKey(e)) &&
        this.#prepared.get(entityKey(e))?.anchorMs !== e.anchorMs,
    );
    if (candidates.length === 0) return 0;
    for (const d of candidates)
      this.#prepared.set(entityKey(d.entity), {
        anchorMs: d.entity.anchorMs,
        ids: [],
        base: {},
        conflict: null,
      });
    // Entities known only from a reload of the index: their reports in one read.
    const unknown = candidates.filter((d) => d.rows === null).map((d) => d.entity);
    const loaded = unknown.length === 0 ? new Map() : await this.staging.loadMany(unknown);
    const chosen: { entity: OpenEntity; window: StagedContender[] }[] = [];
    for (const d of candidates) {
      const rows: StagedContender[] = d.rows ?? loaded.get(entityKey(d.entity)) ?? [];
      const end = d.entity.anchorMs + windowFor(config, d.entity.entityType);
      const window = rows.filter((r) => r.atMs <= end);
      // A lone report costs nothing to resolve: only conflicts are prepared.
      if (window.length >= 2) chosen.push({ entity: { ...d.entity }, window });
    }
    if (chosen.length === 0) return 0;
    await this.#readModels.whenCaughtUp();
    const bases = await this.#bases(chosen.map((c) => c.entity));
    let prepared = 0;
    for (let i = 0; i < chosen.length; i += PREPARE_SLICE) {
      // The resolutions are CPU: yield between slices so due windows and staging are not held up.
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const { entity, window } of chosen.slice(i, i + PREPARE_SLICE)) {
        const key = entityKey(entity);
        if (this.#inFlight.has(key) || this.#prepared.get(key)?.anchorMs !== entity.anchorMs) continue;
        const base = bases.get(key)!;
        let conflict: PreparedResolution;
        try {
          conflict = this.unscopedResolver.prepare(
            this.#request(entity, window, base),
            this.#resolveOptions(entity, base),
          );
        } catch {
          continue; // the same input fails again when due, where the failure is reported
        }
        this.#prepared.set(key, {
          anchorMs: entity.anchorMs,
          ids: window.map((r) => r.eventId),
          base,
          conflict,
        });
        prepared += 1;
      }
    }
    return prepared;
  }

  /**
   * Start settling up to `concurrency` due entities that no other pass holds. Null when
   * there are none (or the lease is not held). `capped`: more were due than it took.
   * Passes of different entities run side by side: one computes its resolutions while
   * the appends of the one before commit.
   */
  #startPass(nowMs: number): Promise<{ done: Promise<PassOutcome>; capped: boolean } | null> {
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

  /** The entities a pass takes (marked in flight), after reloading the index when needed. */
  async #choose(nowMs: number): Promise<{ due: DueEntity[]; capped: boolean } | null> {
    if (!this.processor.leaseHeld) {
      this.#heldLease = false;
      return null;
    }
    await this.#loadIndexIfDue();
    const all = this.#index.due((e) => this.#dueAt(e) <= nowMs && !this.#inFlight.has(entityKey(e)));
    if (all.length === 0) return null;
    const due = all.length > this.#concurrency ? all.slice(0, this.#concurrency) : all;
    // The bases come from the read models: let them fold what was appended so far.
    await this.#readModels.whenCaughtUp();
    for (const d of due) this.#inFlight.add(entityKey(d.entity));
    return { due, capped: due.length < all.length };
  }

  /**
   * Reports staged by the previous holder are found by a reload when the lease is taken, and
   * by a backstop reload now and then; the table is not scanned on every pass. Lease held.
   */
  async #loadIndexIfDue(): Promise<void> {
    if (!this.#heldLease || performance.now() - this.#indexLoadedAt >= INDEX_RELOAD_MS) {
      // A reload forgets what passes in progress know: let them end first.
      while (this.#passes.size > 0) await Promise.all(this.#passes);
      // Reports staged while the table is read may be missing from what it returns: noted again after.
      const during: StagedContender[] = [];
      let release = () => {};
      this.#reloadGate = new Promise<void>((resolve) => (release = resolve));
      try {
        await this.#removing; // rows already settled must not come back from the table
        // Reports being staged finish first; later ones wait for the table to be read
        // (so `during` stays empty, and no entity is read again for a report staged meanwhile).
        while (this.#stagings.size > 0) await Promise.allSettled(this.#stagings);
        this.#notedDuringReload = during;
        const open = await this.staging.open();
        // Held all along (a backstop reload): this instance staged and settled every report
        // since the last reload, so an entity the table holds as the index does keeps its
        // reports and its window resolved ahead. A newly taken lease forgets everything.
        const kept = this.#index.reload(open, {
          keepKnown: this.#heldLease,
          changed: new Set(during.map(entityKey)),
        });
        this.#index.note(during);
        for (const key of this.#prepared.keys()) if (!kept.has(key)) this.#prepared.delete(key);
      } finally {
        this.#notedDuringReload = null;
        this.#reloadGate = null;
        release();
      }
      this.#indexLoadedAt = performance.now();
      this.#heldLease = true;
    }
  }

  /** One tick of the timer: start a pass, then arm for the next window to fall due. */
  #tick(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const nowMs = this.#now();
    this.#startPass(nowMs).then(
      (pass) => {
        void pass?.done.then((outcome) => {
          if (outcome.failure) this.emit('error', outcome.failure.error);
        });
        if (!this.#running) return;
        // Ahead of the next windows' due times, while nothing is due (a prepare is only a cache).
        if (!pass && !this.#preparing) void this.prepareClosing(nowMs).catch(() => undefined);
        // More were due than one pass takes: the next pass starts while this one commits.
        this.#arm(pass?.capped ? 0 : this.#untilNextDue(nowMs));
      },
      (err: unknown) => {
        this.emit('error', err);
        if (this.#running) this.#arm(this.#tickMs);
      },
    );
  }

  /** Ms until the next window is to be prepared or falls due after `nowMs`, at most `tickMs`. */
  #untilNextDue(nowMs: number): number {
    let next = Infinity;
    this.#index.forEachOpen((e) => {
      const due = this.#dueAt(e);
      const prepare = this.#prepareAt(e);
      const at = prepare > nowMs ? prepare : due;
      if (at > nowMs && at < next) next = at;
    });
    return Math.min(this.#tickMs, next - nowMs);
  }

  /** Fire the timer in `delayMs`, or sooner if it is armed sooner. */
  #arm(delayMs: number): void {
    const at = performance.now() + delayMs;
    if (this.#timer !== null) {
      if (this.#timerAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#tick(), delayMs);
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  /**
   * Settle the due windows of some entities: their windows are resolved together and
   * their appends written together, by one `appendMany` per round (an entity's first due
   * window, then its next, …): one transaction with the audit rows, the staging delete and
   * the read models' fold. A failure leaves its entity open for the next pass.
   */
  async #settleBatch(due: readonly DueEntity[], nowMs: number): Promise<PassOutcome> {
    const takenAtMs = this.#now();
    const result = zeroResult();
    const config = this.unscopedResolver.engine.config;
    // Reports the index does not know (after a reload) are read in one query.
    const unknown = due.filter((d) => d.rows === null).map((d) => d.entity);
    const loaded = unknown.length === 0 ? new Map() : await this.staging.loadMany(unknown);
    const states = due.map((d) => {
      const fromTable = d.rows === null ? (loaded.get(entityKey(d.entity)) ?? []) : null;
      return { entity: d.entity, fromTable, rows: d.rows ?? fromTable!, settledIds: [] as string[] };
    });
    let open = states;
    let failure: { error: unknown } | undefined;
    while (open.length > 0) {
      const windows: { state: (typeof states)[number]; window: StagedContender[] }[] = [];
      for (const state of open) {
        const window = dueWindow(
          state.rows,
          nowMs,
          windowFor(config, state.entity.entityType),
          this.#settleMs,
        );
        if (window && window.length > 0) windows.push({ state, window });
      }
      if (windows.length === 0) break;
      const bases = await this.#bases(windows.map((w) => w.state.entity));
      // Every window's append is collected (each is made before its first await), then all
      // are written by one appendMany: one transaction for the round, its audit rows and
      // its staging delete; an append made later would still be written, on its own.
      const collector = new AppendCollector(this.#store);
      const settling = windows.map((w) =>
        this.#settle(w.state.entity, w.window, bases.get(entityKey(w.state.entity))!, collector.append),
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
        this.emit(
          'settled',
          { creatorId: entity.creatorId, entityType: entity.entityType, entityId: entity.entityId },
          record,
          {
            reports: window.length,
            anchorMs,
            dueAtMs: anchorMs + windowFor(config, entity.entityType) + this.#settleMs,
            takenAtMs,
          },
        );
      }
    }
    for (const state of states) {
      this.#index.settled(state.entity, state.fromTable, state.settledIds);
      this.#prepared.delete(entityKey(state.entity));
    }
    // The settled reports leave the staging off the settling path: settling them again
    // (after a crash before the delete) writes nothing, every outcome being keyed.
    // Those not deleted with their outcome: a repeat of an append that committed before.
    const settledIds = states
      .flatMap((s) => s.settledIds)
      .filter((id) => !this.#removedWithOutcome.delete(id));
    if (settledIds.length > 0) {
      this.#removing = this.#removing
        .then(() => this.staging.remove(settledIds))
        .catch((err: unknown) => void this.emit('error', err));
    }
    return { result, failure };
  }

  // One window: a lone report is applied; a conflict is resolved (and audited) and its value applied.
  async #settle(
    entity: OpenEntity,
    window: readonly StagedContender[],
    base: JsonObject,
    append: EventStore['append'],
  ): Promise<ConflictRecord | undefined> {
    const ids = window.map((r) => r.eventId);
    const lone = window.length === 1 && !this.#loneNeedsRules(entity, window[0]!);
    const key = lone ? ids[0]! : conflictIdFor(entity.entityType, entity.entityId, ids);
    this.#writing.set(key, ids);
    try {
      return await this.#settleWindow(entity, window, base, append, lone);
    } finally {
      this.#writing.delete(key);
    }
  }

  async #settleWindow(
    entity: OpenEntity,
    window: readonly StagedContender[],
    base: JsonObject,
    append: EventStore['append'],
    lone: boolean,
  ): Promise<ConflictRecord | undefined> {
    if (lone) {
      const only = window[0]!;
      // A lone report is no conflict, but a shipped order still cannot be modified.
      const terminal = policyFor(this.unscopedResolver.engine.config, entity.entityType).terminal;
      const absorbed = terminal !== undefined && terminal.values.includes(String(base[terminal.field]));
      await this.#apply(
        entity,
        absorbed ? base : { ...base, ...only.contender.changes },
        base,
        {
          key: `sync-report:${only.eventId}`,
          causationId: only.eventId,
        },
        append,
      );
      return undefined;
    }
    // Resolved ahead with these very reports and this base: only the write is left.
    const ahead = this.#prepared.get(entityKey(entity));
    if (
      ahead?.conflict &&
      ahead.anchorMs === window[0]!.atMs &&
      ahead.ids.length === window.length &&
      ahead.ids.every((id, i) => id === window[i]!.eventId) &&
      jsonEquals(ahead.base, base)
    )
      return this.unscopedResolver.commitPrepared(ahead.conflict, { append });
    return this.unscopedResolver.resolve(this.#request(entity, window, base), {
      ...this.#resolveOptions(entity, base),
      append,
    });
  }

  /** A report alone in its window whose figures still call for the rules (lone-report.ts). */
  #loneNeedsRules(entity: OpenEntity, only: StagedContender): boolean {
    const policy = policyFor(this.unscopedResolver.engine.config, entity.entityType);
    return loneReportNeedsRules(only.contender.changes ?? {}, policy);
  }

  #request(entity: Omit<OpenEntity, 'anchorMs'>, window: readonly StagedContender[], base: JsonObject) {
    return {
      entityType: entity.entityType,
      entityId: entity.entityId,
      contenders: window.map((r) => r.contender),
      base,
    };
  }

  // The resolved value rides in the resolver's append: it commits with the audit row, in
  // one transaction per group commit instead of a second append per conflict.
  #resolveOptions(entity: Omit<OpenEntity, 'anchorMs'>, base: JsonObject): ResolveOptions {
    return {
      ownerId: entity.creatorId,
      tenantId: entity.creatorId,
      followUp: (resolution) => {
        if (resolution.status !== 'resolved' || !resolution.after) return [];
        const { conflictId } = resolution;
        const outcome = settledOutcome(
          entity.entityType,
          entity.creatorId,
          entity.entityId,
          resolution.after,
          base,
          conflictId,
        );
        if (!outcome) return [];
        return [{ ...outcome.event, metadata: { source: SOURCE, correlationId: conflictId } }];
      },
    };
  }

  /** The entities' states before their windows, from the read models: one read per table. */
  async #bases(entities: readonly Omit<OpenEntity, 'anchorMs'>[]): Promise<Map<string, JsonObject>> {
    const bases = new Map<string, JsonObject>();
    for (const e of entities) bases.set(entityKey(e), { creatorId: e.creatorId });
    const stock = entities.filter((e) => e.entityType === 'inventory');
    const orders = entities.filter((e) => e.entityType === 'order');
    const [levels, orderRows] = await Promise.all([
      stock.length === 0
        ? new Map()
        : this.#readModels
            .table('inventory_levels')
            .load(stock.map((e) => ({ creator_id: e.creatorId, product_id: e.entityId }))),
      orders.length === 0
        ? new Map()
        : this.#readModels
            .table('commerce_orders')
            .load(orders.map((e) => ({ creator_id: e.creatorId, order_id: e.entityId }))),
    ]);
    for (const row of levels.values() as Iterable<InventoryLevelRow>) {
      const base = bases.get(
        entityKey({ creatorId: row.creator_id, entityType: 'inventory', entityId: row.product_id }),
      );
      if (base) base.quantity = Number(row.on_hand);
    }
    for (const row of orderRows.values() as Iterable<CommerceOrderRow>) {
      const base = bases.get(
        entityKey({ creatorId: row.creator_id, entityType: 'order', entityId: row.order_id }),
      );
      if (!base) continue;
      base.status = row.status;
      if (row.amount !== null) base.totalAmount = Number(row.amount);
      base.refundedAmount = Number(row.refunded_amount);
    }
    return bases;
  }

  async #apply(
    entity: Omit<OpenEntity, 'anchorMs'>,
    after: JsonObject,
    before: JsonObject,
    cause: { key: string; causationId: string; conflictId?: string; decidedBy?: string; actor?: ActorRef },
    append: EventStore['append'] = (...args) => this.#store.append(...args),
  ): Promise<void> {
    const outcome = settledOutcome(
      entity.entityType,
      entity.creatorId,
      entity.entityId,
      after,
      before,
      cause.conflictId,
      cause.decidedBy,
    );
    if (!outcome) return;
    await append(outcome.streamId, [outcome.event], {
      aggregateType: outcome.aggregateType,
      idempotencyKey: cause.key,
      metadata: {
        source: SOURCE,
        causationId: cause.causationId,
        ...(cause.conflictId === undefined ? {} : { correlationId: cause.conflictId }),
        ...actorMetadata(cause.actor),
      },
    });
  }

  async #handle(events: readonly StoredEvent[]): Promise<void> {
    const staged: StagedContender[] = [];
    for (const event of events) {
      if (event.type === CONFLICT_RESOLVED_EVENT) {
        if (staged.length > 0) await this.#stage(staged.splice(0));
        await this.#applyDecision(event.data as ConflictResolvedData, event.metadata);
      } else {
        staged.push(toStaged(event));
      }
    }
    await this.#stage(staged);
  }

  /** Stage reports and note them in the index, once no reload is reading the table. */
  async #stage(rows: StagedContender[]): Promise<void> {
    while (this.#reloadGate) await this.#reloadGate;
    const staging = this.staging.add(rows).then(() => this.#note(rows));
    this.#stagings.add(staging);
    try {
      await staging;
    } finally {
      this.#stagings.delete(staging);
    }
  }

  #note(rows: readonly StagedContender[]): void {
    this.#index.note(rows);
    this.#notedDuringReload?.push(...rows);
    if (!this.#running || rows.length === 0) return;
    // Wake when the earliest of these windows is to be prepared or falls due (a window
    // already due waits for the next tick).
    const nowMs = this.#now();
    let next = Infinity;
    for (const r of rows) {
      const due = r.atMs + windowFor(this.unscopedResolver.engine.config, r.entityType) + this.#settleMs;
      const prepare = due - this.#settleMs / 2;
      const at = prepare > nowMs ? prepare : due;
      if (at > nowMs && at < next) next = at;
    }
    if (next - nowMs < this.#tickMs) this.#arm(next - nowMs);
  }

  // An admin's decision on an escalated stock or order conflict reaches the read models.
  async #applyDecision(data: ConflictResolvedData, metadata: EventMetadata): Promise<void> {
    if (!data.manual || (data.entityType !== 'inventory' && data.entityType !== 'order')) return;
    const record = await this.unscopedResolver.get(data.conflictId);
    const creatorId = record?.resolution.before.creatorId;
    if (!record || typeof creatorId !== 'string') return; // not one of ours
    const entity = { creatorId, entityType: data.entityType as SettledEntityType, entityId: data.entityId };
    await this.#apply(entity, { ...record.resolution.before, ...data.set }, record.resolution.before, {
      key: `sync-conflict:${data.conflictId}:manual`,
      causationId: record.events.manual ?? record.events.outcome,
      conflictId: data.conflictId,
      // A decision without its admin is still a decision (the resolver reads it the same way).
      decidedBy: data.adminId ?? 'unknown',
      // The admin who decided is the settled event's actor too.
      ...actorFromMetadata(metadata),
    });
  }
}

/** A window resolved ahead; `conflict` null when there was nothing to prepare (a lone report). */
interface PreparedWindow {
  anchorMs: number;
  /** The window's reports by time, as resolved. */
  ids: string[];
  /** The state before the window, as read then. */
  base: JsonObject;
  conflict: PreparedResolution | null;
}

function zeroResult(): SettleResult {
  return { applied: 0, resolved: 0, escalated: 0 };
}
