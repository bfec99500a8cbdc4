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
 *
 * This file is the public face; the parts are `staged-reports.ts` (staging and
 * the open-entity index), `settle-passes.ts` (which entities a pass takes, and
 * its rounds of windows), `window-settler.ts` (one window), `prepare-passes.ts`
 * and `prepared-windows.ts` (resolving ahead), `settle-timer.ts` (when passes
 * run), `settled-report-removal.ts` (staged reports leaving with their
 * outcome) and `manual-decision.ts` (an admin's decision).
 */
import { EventEmitter } from 'eventemitter3';
import { CONFLICT_RESOLVED_EVENT, type ConflictResolvedData } from '../../conflicts/service/events.js';
import { ConflictResolver } from '../../conflicts/service/conflict-resolver.js';
import { InvalidArgumentError } from '../../core/errors.js';
import {
  createProcessor,
  type CheckpointWrite,
  type LeaseOptions,
  type Processor,
} from '../../processing/index.js';
import type { LogCheckpoint } from '../../core/checkpoint.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import type { ContenderStaging, StagedContender } from './contender-staging.js';
import { contenderStagingOf } from './contender-staging-of.js';
import {
  commerceConflictConfig,
  withRefundsOnOrders,
  type CommerceConflictConfigInput,
} from './commerce-conflict-config.js';
import { ORDER_REPORTED_EVENT, STOCK_REPORTED_EVENT, registerSyncReportEvents } from './report-events.js';
import { toStaged } from './report-contender.js';
import { commerceDecisionIssues } from './decision-values.js';
import { RESOLVE_SYNC_CONFLICTS } from './resolve-sync-conflicts-name.js';
import type { SyncConflictEvents } from './sync-conflict-events.js';
import { SettledReportRemoval } from './settled-report-removal.js';
import { PreparedWindows } from './prepared-windows.js';
import { WINDOW_ALIGNMENTS, WindowSchedule, type WindowAlignment } from './window-schedule.js';
import { StagedReports } from './staged-reports.js';
import { WindowSettler } from './window-settler.js';
import { SettlePasses, type SettleResult } from './settle-passes.js';
import { PreparePasses } from './prepare-passes.js';
import { SettleTimer } from './settle-timer.js';
import { applyManualDecision, isSyncDecision } from './manual-decision.js';

export { RESOLVE_SYNC_CONFLICTS } from './resolve-sync-conflicts-name.js';
export type { SyncConflictEvents } from './sync-conflict-events.js';
export type { SettleResult } from './settle-passes.js';

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
  /**
   * How reports are cut into windows. `'anchored'` (default): a window opens at an
   * entity's earliest waiting report and holds every report up to its type's `windowMs`
   * after it, so a burst after a quiet spell is always one conflict. `'staggered'`: each
   * entity's windows are fixed slots of `windowMs` shifted by a hash of its key, so
   * entities updated together (every product of a scheduled sync, sources polling in
   * step) fall due spread over `windowMs` rather than all at once, which keeps the
   * settling latency flat under load; reports straddling a slot's end settle in two
   * windows (docs/conflicts.md, "Windows").
   */
  windowAlignment?: WindowAlignment;
  /**
   * Least time between the starts of two settle passes, ms (a pass that took only part of
   * what was due is followed at once): windows falling due a few ms apart are then written
   * by one pass, one transaction instead of several, for at most this much latency.
   * Default 15 with staggered windows (they fall due all the time), 0 with anchored ones.
   */
  gatherMs?: number;
  /** Backstop poll of the processor, ms. Default 1,000. */
  pollIntervalMs?: number;
  /**
   * How long the processor gathers reports after staging a batch before it reads again, ms
   * (the processor's `coalesceMs`): under a stream of reports their batches grow and cost
   * less each; a report after a quiet spell is staged at once. Keep it well inside
   * `settleMs`, which a report's staging must beat. Default 25, or a tenth of `settleMs`
   * when that is less; 0 stages every commit's reports on its own wake-up.
   */
  stagingCoalesceMs?: number;
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
  /** How reports are cut into windows (the option, or its default). */
  readonly windowAlignment: WindowAlignment;
  /** Least time between two settle ticks, ms (the option, or its default for the alignment). */
  readonly gatherMs: number;
  readonly #store: EventStore;
  readonly #now: () => number;
  readonly #removal: SettledReportRemoval;
  readonly #reports: StagedReports;
  readonly #passes: SettlePasses;
  readonly #preparer: PreparePasses;
  readonly #timer: SettleTimer;

  constructor(store: EventStore, readModels: ReadModelSet, options: SyncConflictOptions = {}) {
    super();
    for (const [name, value] of [
      ['settleMs', options.settleMs],
      ['tickMs', options.tickMs],
      ['stagingCoalesceMs', options.stagingCoalesceMs],
      ['gatherMs', options.gatherMs],
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
    if (options.gatherMs !== undefined && options.gatherMs > 60_000)
      throw new InvalidArgumentError(`gatherMs must be at most 60000, got ${options.gatherMs}`);
    const alignment = options.windowAlignment ?? 'anchored';
    if (!WINDOW_ALIGNMENTS.includes(alignment))
      throw new InvalidArgumentError(
        `windowAlignment must be one of ${WINDOW_ALIGNMENTS.join(', ')}, got ${String(alignment)}`,
      );
    this.#store = store;
    this.#now = options.now ?? Date.now;
    const settleMs = options.settleMs ?? 1_000;
    const tickMs = options.tickMs ?? 250;
    const gatherMs = options.gatherMs ?? (alignment === 'staggered' ? 15 : 0);
    this.windowAlignment = alignment;
    this.gatherMs = gatherMs;
    const concurrency = options.concurrency ?? 256;
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
      handleBatch: (events, ctx) => this.#handle(events, ctx.withCheckpoint),
      // Reports come a commit or two at a time: staged in batches of what arrives in this pause,
      // each report's rows, read and checkpoint cost less (docs/conflicts.md, stop 41).
      // The default never takes more than a tenth of the grace a late report has.
      coalesceMs: Math.round(options.stagingCoalesceMs ?? Math.min(25, settleMs / 10)),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.lease === undefined ? {} : { lease: options.lease }),
    });
    this.processor.on('error', (err: unknown) => this.emit('error', err));
    // The parts, each in its own file (see the header), wired once.
    this.#removal = new SettledReportRemoval(store, this.staging, this);
    const prepared = new PreparedWindows();
    const schedule = new WindowSchedule(this.unscopedResolver.engine.config, settleMs, alignment);
    this.#reports = new StagedReports(this.staging, this.#removal, prepared);
    const settler = new WindowSettler(this.unscopedResolver, prepared, this.#removal);
    const parts = { readModels, staging: this.staging, processor: this.processor, schedule, prepared };
    this.#passes = new SettlePasses({
      ...parts,
      store,
      reports: this.#reports,
      settler,
      removal: this.#removal,
      events: this,
      now: this.#now,
      concurrency,
    });
    this.#preparer = new PreparePasses({
      ...parts,
      resolver: this.unscopedResolver,
      reports: this.#reports,
      passes: this.#passes,
    });
    this.#timer = new SettleTimer({
      passes: this.#passes,
      preparer: this.#preparer,
      index: this.#reports.index,
      schedule,
      events: this,
      now: this.#now,
      tickMs,
      gatherMs,
    });
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
    this.#timer.start();
  }

  /** Stop the timer, let the passes in progress end, stop the processor. */
  async stop(): Promise<void> {
    this.#timer.stop();
    await this.#preparer.idle();
    await this.#passes.drain();
    await this.#removal.settled();
    await this.processor.stop();
    this.#removal.close();
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
    return this.#passes.settleAll(nowMs);
  }

  /**
   * Resolve ahead (nothing written) the windows whose grace is half gone by `nowMs`
   * and that are not due yet, so that settling them when due is only the write. The
   * timer does this on its own; hosts and tests may call it. A window a late report
   * joins afterwards, or whose base moves, is resolved afresh when due.
   */
  async prepareClosing(nowMs: number = this.#now()): Promise<number> {
    return this.#preparer.prepareClosing(nowMs);
  }

  async #handle(events: readonly StoredEvent[], withCheckpoint?: CheckpointWrite): Promise<void> {
    const staged: StagedContender[] = [];
    for (const event of events) {
      if (event.type === CONFLICT_RESOLVED_EVENT) {
        // The resolver's own resolutions (most of them) change nothing here: the reports
        // around them stay in one staging.
        const data = event.data as ConflictResolvedData;
        if (!isSyncDecision(data)) continue;
        if (staged.length > 0) await this.#stage(staged.splice(0));
        // An admin's decision on an escalated stock or order conflict reaches the read models.
        await applyManualDecision(this.unscopedResolver, this.#store, data, event.metadata);
      } else {
        staged.push(toStaged(event));
      }
    }
    // The batch's last staging goes with the checkpoint's move (one statement, SQL stores);
    // with nothing left to stage, the processor moves the checkpoint itself.
    await this.#stage(staged, withCheckpoint);
  }

  /** Stage reports (noted in the index), then wake the timer for their windows. */
  async #stage(rows: StagedContender[], withCheckpoint?: CheckpointWrite): Promise<void> {
    await this.#reports.stage(rows, withCheckpoint);
    this.#timer.wakeFor(rows);
  }
}
