/**
 * The specification's `analytics_updater`: every 5 minutes (and on demand) it
 * forecasts every product from `product_daily_sales`, keeps the forecasts in
 * a ledger and scores the old ones against what sold, and rewrites
 * `product_trend_analysis`, `creator_performance_analytics` and
 * `business_intelligence_insights`. Row changes are published on the
 * read-model set, so the realtime channels of those tables see them.
 */
import { EventEmitter } from 'eventemitter3';
import type { Row, RowChange } from '../../core/row-change.js';
import { rowKey } from '../../processing/index.js';
import type { EventStore } from '../../store/types.js';
import { utcDay } from '../metrics/revenue.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import { toNumber } from '../read-models/row-values.js';
import { ForecastLedger, keptDays, type AccuracyFigures } from './accuracy-ledger.js';
import { creatorRows, insightRows, mergeFigures } from './analytics-rows.js';
import type { KeptForecastRow, ProductTrendRow } from './analytics-tables.js';
import { addDays, daysBetween } from './dates.js';
import { assertIntegerIn, assertProbability, ForecastInputError } from './errors.js';
import { forecastDemand, type DemandForecast } from './forecast-demand.js';
import type { ProductDailySalesRow } from './product-daily-sales.js';
import { planReorder, type ReorderPlan } from './reorder-plan.js';
import { forecastStockout, type StockoutForecast } from './stockout-forecast.js';

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
  store: Pick<EventStore, 'headCheckpoint'>;
  /** The commerce read-model set (holds the sales history and the analytics tables). */
  readModels: Pick<ReadModelSet, 'unscopedRows' | 'table' | 'publish'>;
  /** Batch period. Default 300 000 (5 minutes). */
  intervalMs?: number;
  mentions?: MentionsPort;
  /** Supplier lead time of the reorder plans, days. Default 7. */
  leadTimeDays?: number;
  /** Target chance of not stocking out. Default 0.95. */
  serviceLevel?: number;
  /** Days of history each forecast reads (a yearly pattern needs more than a year). Default 730. */
  historyDays?: number;
  /** Clock (tests). */
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

const HORIZON = 30;

/** One product's outcome of a run. */
export interface ProductResult {
  row: ProductTrendRow;
  forecast: DemandForecast;
  stockout: StockoutForecast | null;
  reorder: ReorderPlan | null;
  /** Units sold in the last 30 complete days. */
  recentUnits30d: number;
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
  #running: Promise<AnalyticsRun> | undefined;

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
    await this.#running?.catch(() => undefined);
  }

  /** Recompute everything now (a run already in progress is joined, not doubled). */
  runOnce(): Promise<AnalyticsRun> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<AnalyticsRun> {
    const started = this.#o.now();
    const today = utcDay(started);
    const rm = this.#o.readModels;
    const sales = await rm.unscopedRows<ProductDailySalesRow>('product_daily_sales');
    const levels = await rm.unscopedRows('inventory_levels');
    const revenue = await rm.unscopedRows('daily_revenue_metrics');
    const kept = await rm.unscopedRows<KeptForecastRow>('demand_forecast_ledger');
    const available = new Map(
      levels.map((l) => [`${String(l.creator_id)}/${String(l.product_id)}`, toNumber(l.available)]),
    );
    const byProduct = groupSales(sales);
    const stamp = new Date(started).toISOString();
    const products: ProductResult[] = [];
    const ledgers = new Map<string, ForecastLedger>();
    for (const [id, days] of byProduct) {
      const [creatorId, productId] = splitId(id);
      const ledger = ledgerFor(kept, creatorId, productId, days, today);
      ledgers.set(id, ledger);
      products.push(
        await this.#product(creatorId, productId, days, today, available.get(id) ?? null, ledger, stamp),
      );
    }
    const creators = creatorRows(products, revenue, ledgers, today, stamp);
    const insights = insightRows(products, stamp);
    const newKept: KeptForecastRow[] = products.map((p) => ({
      creator_id: p.row.creator_id,
      product_id: p.row.product_id,
      first_date: p.forecast.firstDate,
      method: p.forecast.method,
      days: keptDays(p.forecast),
      updated_at: stamp,
    }));
    const changes = [
      ...(await this.#replace(
        'product_trend_analysis',
        ['creator_id', 'product_id'],
        products.map((p) => p.row),
      )),
      ...(await this.#replace('creator_performance_analytics', ['creator_id'], creators)),
      ...(await this.#replace('business_intelligence_insights', ['insight_id'], insights)),
    ];
    await rm.table('demand_forecast_ledger').write({ upserts: newKept, deletes: [] });
    const checkpoint = await this.#o.store.headCheckpoint();
    rm.publish(changes.map((c) => ({ ...c, checkpoint })));
    const figures = new Map([...ledgers].map(([id, l]) => [id, l.figures(today)]));
    const accuracy = mergeFigures([...figures.values()]);
    const accuracyByCreator = Object.fromEntries(
      creators.map((c) => [
        c.creator_id,
        mergeFigures([...figures].filter(([id]) => splitId(id)[0] === c.creator_id).map(([, f]) => f)),
      ]),
    );
    const run: AnalyticsRun = {
      products: products.length,
      creators: creators.length,
      insights: insights.length,
      accuracy,
      accuracyByCreator,
      durationMs: this.#o.now() - started,
    };
    this.emit('updated', run);
    return run;
  }

  async #product(
    creatorId: string,
    productId: string,
    days: Map<string, number>,
    today: string,
    available: number | null,
    ledger: ForecastLedger,
    stamp: string,
  ): Promise<ProductResult> {
    const first = [...days.keys()].sort()[0]!;
    const startDate =
      daysBetween(first, today) > this.#o.historyDays ? addDays(today, -this.#o.historyDays) : first;
    const length = Math.max(0, daysBetween(startDate, today));
    const series = Array.from({ length }, (_, i) => days.get(addDays(startDate, i)) ?? 0);
    const mentions = this.#o.mentions
      ? await this.#o.mentions.dailyMentions(creatorId, productId, startDate, length)
      : undefined;
    const forecast = forecastDemand(
      { sales: series, startDate, ...(mentions ? { mentions } : {}) },
      { horizon: HORIZON },
    );
    const stockout = available === null ? null : forecastStockout(forecast, Math.max(0, available));
    const reorder =
      available === null
        ? null
        : planReorder(forecast, {
            available: Math.max(0, available),
            leadTimeDays: this.#o.leadTimeDays,
            serviceLevel: this.#o.serviceLevel,
          });
    const last7 = series.slice(-7).reduce((a, b) => a + b, 0);
    const prior7 = series.slice(-14, -7).reduce((a, b) => a + b, 0);
    const figures = ledger.figures(today);
    const row: ProductTrendRow = {
      creator_id: creatorId,
      product_id: productId,
      method: forecast.method,
      first_date: forecast.firstDate,
      forecast: forecast.days,
      total_p10: forecast.total.p10,
      total_p50: forecast.total.p50,
      total_p90: forecast.total.p90,
      trend_pct: prior7 > 0 ? (last7 - prior7) / prior7 : null,
      available,
      stockout_p10_date: stockout?.p10Date ?? null,
      stockout_median_date: stockout?.medianDate ?? null,
      stockout_p90_date: stockout?.p90Date ?? null,
      reorder_quantity: reorder?.quantity ?? 0,
      reorder_by: reorder?.orderBy ?? null,
      reorder_message: reorder?.message ?? null,
      seasonal_adjustment: forecast.seasonality.byWeekday,
      seasonal_adjustment_units: reorder?.seasonalAdjustmentUnits ?? 0,
      spike_state: forecast.spike.state,
      spike_confidence: forecast.spike.confidence,
      spike_onset_date:
        forecast.spike.onsetIndex === null ? null : addDays(startDate, forecast.spike.onsetIndex),
      accuracy_within_20pct: figures.within20Pct,
      accuracy_coverage_80: figures.coverage80,
      forecasts_scored: figures.scored,
      updated_at: stamp,
    };
    const recentUnits30d = series.slice(-30).reduce((a, b) => a + b, 0);
    return { row, forecast, stockout, reorder, recentUnits30d };
  }

  /** Upsert `rows` and delete the table's other rows; returns the changes (checkpoint filled by the caller). */
  async #replace(table: string, key: readonly string[], rows: readonly Row[]): Promise<RowChange[]> {
    const backend = this.#o.readModels.table(table);
    const before = new Map((await backend.all()).map((r) => [rowKey(key, r), r]));
    const keep = new Set(rows.map((r) => rowKey(key, r)));
    const deletes = [...before.entries()].filter(([k]) => !keep.has(k)).map(([, r]) => keyOf(key, r));
    await backend.write({ upserts: [...rows], deletes });
    const changes: RowChange[] = rows.map((newRow) => {
      const oldRow = before.get(rowKey(key, newRow)) ?? null;
      return {
        table,
        key: keyOf(key, newRow),
        operation: oldRow ? 'UPDATE' : 'INSERT',
        newRow,
        oldRow,
        position: 0,
        checkpoint: '',
      };
    });
    for (const r of deletes) {
      changes.push({
        table,
        key: r,
        operation: 'DELETE',
        newRow: null,
        oldRow: before.get(rowKey(key, r))!,
        position: 0,
        checkpoint: '',
      });
    }
    return changes;
  }
}

function keyOf(key: readonly string[], row: Row): Row {
  return Object.fromEntries(key.map((k) => [k, row[k]]));
}

function splitId(id: string): [string, string] {
  const slash = id.indexOf('/');
  return [id.slice(0, slash), id.slice(slash + 1)];
}

function groupSales(rows: readonly ProductDailySalesRow[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const id = `${r.creator_id}/${r.product_id}`;
    let days = out.get(id);
    if (!days) out.set(id, (days = new Map()));
    days.set(r.day, toNumber(r.units));
  }
  return out;
}

function ledgerFor(
  kept: readonly KeptForecastRow[],
  creatorId: string,
  productId: string,
  days: ReadonlyMap<string, number>,
  today: string,
): ForecastLedger {
  const ledger = new ForecastLedger();
  const mine = kept.filter((k) => k.creator_id === creatorId && k.product_id === productId);
  for (const k of mine)
    ledger.keepSummary({ productId, firstDate: k.first_date, method: k.method, days: k.days });
  const observedFrom = mine.map((k) => k.first_date).sort()[0];
  if (observedFrom) {
    // Complete days without a sales row sold nothing (a row exists only once something sold).
    for (let d = observedFrom; d < today; d = addDays(d, 1)) ledger.observe(productId, d, days.get(d) ?? 0);
  }
  return ledger;
}
