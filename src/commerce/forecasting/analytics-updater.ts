/**
 * The specification's `analytics_updater`: every 5 minutes (and on demand) it
 * appends one `analytics.run_completed` per creator — the run's instant, its
 * settings and the mentions the host's port reported, everything the log
 * does not already hold — and waits for the read models to fold it. The fold
 * forecasts every product from the sales history as of the run, keeps the
 * forecasts in a ledger and scores the old ones against what sold, and
 * rewrites `product_trend_analysis`, `creator_performance_analytics` and
 * `business_intelligence_insights` (see `analytics-product-state.ts`), so a
 * rebuild from the log reproduces every run. Row changes are published by
 * the read-model set, so the realtime channels of those tables see them.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { EventStore } from '../../store/types.js';
import { commerceEvent, type EventPayload } from '../events/catalog.js';
import { utcDay } from '../metrics/revenue.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import type { AccuracyFigures } from './accuracy-ledger.js';
import type { CreatorAnalyticsStateRow } from './analytics-creator-state.js';
import type { ProductAnalyticsStateRow } from './analytics-product-state.js';
import { mergeFigures } from './analytics-rows.js';
import { ANALYTICS_RUN_EVENT } from './analytics-run-event.js';
import { assertIntegerIn, assertProbability, ForecastInputError } from './errors.js';
import { historyWindow } from './product-forecast-run.js';

/** Host-supplied social-media mention counts (the optional driver of the spike detector). */
export interface MentionsPort {
  /** Mentions per UTC day of `productId` from `fromDate` for `days` days (missing days: 0). */
  dailyMentions(creatorId: string, productId: string, fromDate: string, days: number): Promise<number[]>;
}

/**
 * Options of {@link AnalyticsUpdater}.
 *
 * @example
 * ```ts
 * const analytics = new AnalyticsUpdater({
 *   store,
 *   readModels: commerce.readModels,
 *   intervalMs: 15 * 60_000, // every 15 minutes
 *   leadTimeDays: 10,
 *   serviceLevel: 0.98,
 *   mentions: { dailyMentions: (creatorId, productId, from, days) => social.mentions(productId, from, days) },
 * });
 * ```
 */
export interface AnalyticsUpdaterOptions {
  /** Where the runs are appended (it must know `analytics.run_completed`: the commerce catalog). */
  store: Pick<EventStore, 'append'>;
  /** The commerce read-model set (folds the runs; holds the sales history and the analytics tables). */
  readModels: Pick<ReadModelSet, 'unscopedRows' | 'whenCaughtUp' | 'processor'>;
  /** Batch period. Default 300 000 (5 minutes). */
  intervalMs?: number;
  mentions?: MentionsPort;
  /** Supplier lead time of the reorder plans, days. Default 7. */
  leadTimeDays?: number;
  /** Target chance of not stocking out. Default 0.95. */
  serviceLevel?: number;
  /** Days of history each forecast reads (a yearly pattern needs more than a year). Default 730. */
  historyDays?: number;
  /** Clock: the instant each run is as of (tests). */
  now?: () => number;
}

/**
 * The analytics updater wired by `createCommerce({ analytics })`: the
 * {@link AnalyticsUpdaterOptions} minus the store and read models (the
 * commerce's own), plus who schedules it.
 *
 * @example
 * ```ts
 * const options: CommerceAnalyticsOptions = { intervalMs: 600_000, leadTimeDays: 10 };
 * const commerce = createCommerce({ store, analytics: options });
 * await commerce.start(); // a run every 10 minutes until stop()
 * await commerce.analytics?.runOnce(); // and one now
 * ```
 */
export interface CommerceAnalyticsOptions extends Omit<AnalyticsUpdaterOptions, 'store' | 'readModels'> {
  /**
   * Run every `intervalMs` between the commerce's `start()` and `stop()`.
   * Default true; false when the host schedules `commerce.analytics.runOnce()`
   * itself (an engine schedule, a cron job).
   */
  schedule?: boolean;
}

/** What one run did. */
export interface AnalyticsRun {
  products: number;
  creators: number;
  insights: number;
  /** Live accuracy over every kept forecast scored so far, all creators pooled. */
  accuracy: AccuracyFigures;
  /** The same per creator (the figures of `creator_performance_analytics`). */
  accuracyByCreator: Readonly<Record<string, AccuracyFigures>>;
  durationMs: number;
}

/** Events of the updater. */
export interface AnalyticsUpdaterEventMap {
  updated: [run: AnalyticsRun];
  error: [error: unknown];
}

/**
 * Keeps the analytics read models current.
 *
 * @example
 * ```ts
 * const analytics = new AnalyticsUpdater({ store, readModels: commerce.readModels });
 * analytics.on('error', (err) => log.error(err));
 * analytics.start();            // every 5 minutes
 * await analytics.runOnce();    // now
 * ```
 */
export class AnalyticsUpdater extends EventEmitter<AnalyticsUpdaterEventMap> {
  readonly #o: Required<Omit<AnalyticsUpdaterOptions, 'mentions'>> & { mentions?: MentionsPort };
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The last run started (`current`: as of its start, so a request for one now joins it). */
  #running: { promise: Promise<AnalyticsRun>; current: boolean } | undefined;

  constructor(options: AnalyticsUpdaterOptions) {
    super();
    const intervalMs = options.intervalMs ?? 300_000;
    if (!(Number.isFinite(intervalMs) && intervalMs >= 1_000)) {
      throw new ForecastInputError('intervalMs', `expected at least 1000 ms, got ${String(intervalMs)}`);
    }
    const historyDays = options.historyDays ?? 730;
    assertIntegerIn('historyDays', historyDays, 28, 3_650);
    this.#o = {
      store: options.store,
      readModels: options.readModels,
      intervalMs,
      leadTimeDays: options.leadTimeDays ?? 7,
      serviceLevel: options.serviceLevel ?? 0.95,
      historyDays,
      now: options.now ?? Date.now,
      ...(options.mentions ? { mentions: options.mentions } : {}),
    };
    assertIntegerIn('leadTimeDays', this.#o.leadTimeDays, 0, 365);
    assertProbability('serviceLevel', this.#o.serviceLevel);
  }

  /** Run every `intervalMs` until {@link stop}; failures become `'error'` events. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.emit('error', err));
    }, this.#o.intervalMs);
    this.#timer.unref?.();
  }

  /** Stop the timer and wait for a run in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.promise.catch(() => undefined);
  }

  /**
   * Recompute everything now (a run already in progress is joined, not
   * doubled), or as of `asOf` (after the run in progress, never joined): a
   * run as of an earlier instant forecasts from the history before it, e.g.
   * to keep forecasts whose outcome is known by now.
   *
   * @example
   * ```ts
   * await analytics.runOnce();                                              // now
   * await analytics.runOnce({ asOf: new Date(Date.now() - 31 * 86_400_000) }); // as of a month ago
   * ```
   */
  runOnce(options: { asOf?: Date } = {}): Promise<AnalyticsRun> {
    const asOfMs = options.asOf?.getTime();
    if (asOfMs === undefined && this.#running?.current) return this.#running.promise;
    if (asOfMs !== undefined && !Number.isFinite(asOfMs)) {
      throw new ForecastInputError('asOf', 'expected a valid date');
    }
    const previous = this.#running?.promise.catch(() => undefined);
    const promise: Promise<AnalyticsRun> = (async () => {
      await previous;
      return this.#run(asOfMs ?? this.#o.now());
    })().finally(() => {
      if (this.#running?.promise === promise) this.#running = undefined;
    });
    this.#running = { promise, current: asOfMs === undefined };
    return promise;
  }

  /**
   * Append one run per creator known to the read models, as of `asOfMs`, and
   * report what the fold made of it.
   */
  async #run(asOfMs: number): Promise<AnalyticsRun> {
    const started = performance.now();
    const rm = this.#o.readModels;
    await rm.whenCaughtUp();
    const creators = await rm.unscopedRows<CreatorAnalyticsStateRow>('analytics_creator_state');
    const products = this.#o.mentions
      ? await rm.unscopedRows<ProductAnalyticsStateRow>('analytics_product_state')
      : [];
    const asOf = new Date(asOfMs).toISOString();
    const events = [];
    for (const { creator_id: creatorId } of creators) {
      const data: EventPayload<typeof ANALYTICS_RUN_EVENT> = {
        creatorId,
        asOf,
        leadTimeDays: this.#o.leadTimeDays,
        serviceLevel: this.#o.serviceLevel,
        historyDays: this.#o.historyDays,
      };
      const mine = products.filter((p) => p.creator_id === creatorId);
      if (this.#o.mentions) data.mentions = await this.#mentions(this.#o.mentions, mine, utcDay(asOfMs));
      events.push(commerceEvent(ANALYTICS_RUN_EVENT, data, { id: randomUUID() }));
    }
    // The event ids name the run in the state rows the fold leaves.
    const runIds = new Set(events.map((e) => e.id!));
    if (events.length > 0) {
      const { checkpoint } = await this.#o.store.append(ANALYTICS_RUN_STREAM, events, {
        aggregateType: 'analytics_run',
        metadata: { source: 'analytics_updater' },
      });
      // Wait for the run's own checkpoint, not the log's head: on PostgreSQL the
      // head readers see stops below any open transaction (another session's),
      // so it can lie below this append and the outcome would miss the run.
      await (rm.processor ? rm.processor.whenCaughtUp({ to: checkpoint }) : rm.whenCaughtUp());
    }
    const run = await this.#outcome(runIds, performance.now() - started);
    this.emit('updated', run);
    return run;
  }

  /** What the port reports for each product's history window (the fold reads them from the event). */
  async #mentions(
    port: MentionsPort,
    products: readonly ProductAnalyticsStateRow[],
    today: string,
  ): Promise<NonNullable<EventPayload<typeof ANALYTICS_RUN_EVENT>['mentions']>> {
    const out = [];
    for (const p of products) {
      if (p.sales_from === null || p.sales_from >= today) continue;
      const { startDate, length } = historyWindow(p.sales_from, today, this.#o.historyDays);
      const daily = await port.dailyMentions(p.creator_id, p.product_id, startDate, length);
      out.push({ productId: p.product_id, fromDate: startDate, daily });
    }
    return out;
  }

  /** The run's figures, read from the state the fold left. */
  async #outcome(runIds: ReadonlySet<string>, durationMs: number): Promise<AnalyticsRun> {
    const rm = this.#o.readModels;
    const creators = (await rm.unscopedRows<CreatorAnalyticsStateRow>('analytics_creator_state')).filter(
      (c) => c.result_run_id !== null && runIds.has(c.result_run_id),
    );
    const shown = creators.filter((c) => c.result !== null);
    const figures = creators.flatMap((c) => c.contributions.map((x) => x.figures));
    let insights = 0;
    if (creators.length > 0) {
      const products = await rm.unscopedRows<ProductAnalyticsStateRow>('analytics_product_state');
      for (const p of products)
        if (p.run_id !== null && runIds.has(p.run_id)) insights += p.result?.insights.length ?? 0;
    }
    return {
      products: creators.reduce((n, c) => n + c.contributions.length, 0),
      creators: shown.length,
      insights,
      accuracy: mergeFigures(figures),
      accuracyByCreator: Object.fromEntries(
        shown.map((c) => [c.creator_id, mergeFigures(c.contributions.map((x) => x.figures))]),
      ),
      durationMs,
    };
  }
}

/** The stream the runs are appended to. */
export const ANALYTICS_RUN_STREAM = 'analytics-runs';
