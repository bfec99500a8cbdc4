/**
 * `npm run bench -- forecast`: a rolling-origin backtest of demand forecasting
 * on simulated demand with known generating processes (steady, trending,
 * weekly seasonal, intermittent, viral shocks), 30-day horizon.
 *
 * One JSON line per demand class, `forecast.<class>`:
 * - `mase`: mean absolute error over the horizon scaled by the in-sample
 *   one-step seasonal-naive (lag 7) MAE (Hyndman & Koehler 2006), averaged over
 *   forecasts. The point scored is each day's median (`p50`): absolute error is
 *   consistent for the median, not the mean (Gneiting 2011, "Making and
 *   evaluating point forecasts"); `mase_mean` scores the mean instead, for
 *   comparison. `relative_mae_snaive`: the median's MAE over that of the
 *   seasonal-naive forecast from the same origin (below 1: better than naive).
 * - `within_20pct`: share of 30-day totals (forecast mean) within 20 % of what sold.
 * - `coverage_80`: expected share of days inside the central 80 % interval by
 *   the nonrandomized PIT (Czado, Gneiting & Held 2009): a whole-number outcome
 *   sitting on an atom of the forecast (a zero day when p10 = 0) counts for the
 *   part of its PIT range inside [0.1, 0.9]; `coverage_80_closed` is the naive
 *   "p10 ≤ y ≤ p90" count, which over-covers such days.
 *   `coverage_80_post_shock`: the same over the windows whose origin falls
 *   within 60 days after a shock onset (and no new shock starts inside),
 *   `post_shock_windows` of them (null coverage without any): the forecasts
 *   that carry a live spike's fade, or a history just cleaned of one.
 * - `detect_delay_days` (median days from shock onset to a confirmed alarm, viral
 *   class, with mentions; `detect_delay_days_sales_only` without them),
 *   `flag_delay_days`, `detected_share`, all from the scan the forecaster
 *   bases its forecast on (`scanDemandSpikes`: with the yearly index when the
 *   chosen model carries one) over the whole series.
 * - `false_alarm_rate`: measured live, as production would raise them —
 *   confirmed alarms counted on the day they were confirmed, from a scan of
 *   the history up to that day only (the yearly index, if any, chosen from
 *   that history) — per product-year, on the series with no true shock
 *   (`false_alarm_products` of them; null for a class where every series has
 *   one). `false_alarm_rate_first_year`: the same over each series' first 364
 *   days, where no yearly index can be known yet (a seasonal seller's first
 *   season). `false_alarm_rate_hindsight`: confirmed alarms away from any
 *   shock in the whole-series scan (which sees the yearly index fitted on
 *   the whole series, so it under-counts a first season), every series.
 * - `ms_per_forecast` (wall clock) and `cpu_ms_per_forecast` (this process's
 *   CPU time, user + system, around each `forecastDemand` call): medians. On a
 *   shared machine compare CPU, and old against new run alternately.
 *
 * Environment: FORECAST_PRODUCTS (per class, default 60 → 300 products),
 * FORECAST_CLASSES (comma-separated, default all, e.g. `seasonal,demo_replay`),
 * FORECAST_DAYS (default 730), FORECAST_ORIGINS (default 6, 30 days apart,
 * ending 30 days before the end), FORECAST_PATHS (default 500),
 * FORECAST_LIVE_STEP (days between the live scans after the first 420, default 7).
 *
 * `forecast.demo_replay` replays the demo's log: the demo shop's daily sales
 * history (`examples/shared/domain/demo-sales-history.ts`: weekend peak,
 * yearly swell, a sparse seller, a viral spike) imported into an event store
 * as the demo host imports it, folded by the real `product_daily_sales`
 * projection, and read back per product and day, as the analytics updater
 * reads it. One demo shop (5 products) per 5 of FORECAST_PRODUCTS, each with
 * its own seed and its spike at a different day inside the evaluated span;
 * no mentions (the demo has none).
 */
import { forecastDemand, scanDemandSpikes } from '../src/commerce/forecasting/forecast-demand.js';
import { detectSpikes } from '../src/commerce/forecasting/spike-detector.js';
import { YEARLY_MIN_DAYS } from '../src/commerce/forecasting/yearly-seasonality.js';
import { intervalCoverage } from '../src/commerce/forecasting/pit-coverage.js';
import {
  DEMAND_CLASSES,
  syntheticDemand,
  type DemandClass,
  type SyntheticDemand,
} from '../src/commerce/forecasting/synthetic-demand.js';
import { createCommerce, type ProductDailySalesRow } from '../src/commerce/index.js';
import { addDays, daysBetween } from '../src/commerce/forecasting/dates.js';
import { createEventStore } from '../src/store/index.js';
import { importDemoSalesHistory } from '../examples/shared/domain/demo-sales-history.js';
import { CATALOG, VIRAL_PRODUCT_ID } from '../examples/simulator/catalog.js';
import { emit, median, round } from './support/stats.js';

const PRODUCTS = Number(process.env.FORECAST_PRODUCTS ?? 60);
const DAYS = Number(process.env.FORECAST_DAYS ?? 730);
const ORIGINS = Number(process.env.FORECAST_ORIGINS ?? 6);
const PATHS = Number(process.env.FORECAST_PATHS ?? 500);
const LIVE_STEP = Number(process.env.FORECAST_LIVE_STEP ?? 7);
const HORIZON = 30;
const YEAR = 364;
/** A window is post-shock when a shock began at most this many days before its origin. */
const POST_SHOCK_DAYS = 60;
const START = '2025-01-01';

interface Tally {
  mase: number[];
  maseMean: number[];
  maeForecast: number;
  maeNaive: number;
  within: number;
  totals: number;
  covered: number;
  coveredClosed: number;
  days: number;
  /** Windows that start within {@link POST_SHOCK_DAYS} after a shock onset, no new shock inside. */
  postShock: { covered: number; days: number; windows: number };
  methods: Record<string, number>;
  ms: number[];
  cpuMs: number[];
}

function seasonalNaiveScale(history: readonly number[]): number {
  let sum = 0;
  for (let t = 7; t < history.length; t++) sum += Math.abs(history[t]! - history[t - 7]!);
  return history.length > 7 ? sum / (history.length - 7) : 1;
}

/** A replayed or generated series: sales, optional mentions, known shock onsets. */
type Series = Pick<SyntheticDemand, 'sales' | 'shockOnsets'> & { mentions?: number[] };

function backtest(series: Series, tally: Tally): void {
  for (let k = 0; k < ORIGINS; k++) {
    const origin = DAYS - HORIZON - k * HORIZON;
    const history = series.sales.slice(0, origin);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const f = forecastDemand(
      {
        sales: history,
        startDate: START,
        ...(series.mentions ? { mentions: series.mentions.slice(0, origin) } : {}),
      },
      { horizon: HORIZON, paths: PATHS, seed: origin },
    );
    const used = process.cpuUsage(cpu);
    tally.ms.push(performance.now() - started);
    tally.cpuMs.push((used.user + used.system) / 1000);
    const method = f.parameters.yearlyAmplitude === undefined ? f.method : `${f.method}+yearly`;
    tally.methods[method] = (tally.methods[method] ?? 0) + 1;
    const actual = series.sales.slice(origin, origin + HORIZON);
    const naive = history.slice(-7);
    let errors = 0;
    let errorsMean = 0;
    const column = new Float64Array(f.paths.length);
    const postShock =
      series.shockOnsets.some((on) => on < origin && on >= origin - POST_SHOCK_DAYS) &&
      !series.shockOnsets.some((on) => on >= origin && on < origin + HORIZON);
    if (postShock) tally.postShock.windows++;
    f.days.forEach((day, h) => {
      const y = actual[h]!;
      errors += Math.abs(y - day.p50);
      errorsMean += Math.abs(y - day.mean);
      tally.maeNaive += Math.abs(y - naive[h % 7]!);
      tally.days++;
      f.paths.forEach((path, i) => (column[i] = path[h]!));
      const covered = intervalCoverage(column.sort(), y, 0.1, 0.9);
      tally.covered += covered;
      if (postShock) {
        tally.postShock.covered += covered;
        tally.postShock.days++;
      }
      if (y >= day.p10 && y <= day.p90) tally.coveredClosed++;
    });
    tally.maeForecast += errors;
    const scale = Math.max(1e-9, seasonalNaiveScale(history));
    tally.mase.push(errors / HORIZON / scale);
    tally.maseMean.push(errorsMean / HORIZON / scale);
    const sold = actual.reduce((a, b) => a + b, 0);
    tally.totals++;
    if (Math.abs(f.total.mean - sold) <= 0.2 * sold) tally.within++;
  }
}

/** The scan the forecaster bases its forecast on (with the yearly index when it chose one). */
function scan(series: Series, mentions: boolean) {
  return scanDemandSpikes({
    sales: series.sales,
    startDate: START,
    ...(mentions && series.mentions ? { mentions: series.mentions } : {}),
  });
}

function salesOnlyDelays(series: Series, delays: number[]): void {
  const { alarms } = scan(series, false);
  for (const on of series.shockOnsets) {
    const hit = alarms.find((a) => a.confirmedIndex >= on && a.confirmedIndex <= on + 14);
    if (hit) delays.push(hit.confirmedIndex - on);
  }
}

function detection(series: Series, delays: number[], flags: number[], missed: { n: number }) {
  const { alarms } = scan(series, true);
  let falseAlarms = 0;
  for (const a of alarms) {
    if (!series.shockOnsets.some((on) => a.confirmedIndex >= on - 2 && a.confirmedIndex <= on + 30))
      falseAlarms++;
  }
  for (const on of series.shockOnsets) {
    const hit = alarms.find((a) => a.confirmedIndex >= on - 2 && a.confirmedIndex <= on + 14);
    if (!hit) missed.n++;
    else {
      delays.push(Math.max(0, hit.confirmedIndex - on));
      flags.push(Math.max(0, hit.flaggedIndex - on));
    }
  }
  return falseAlarms;
}

/**
 * Confirmed alarms the detector raised at the time, as production sees them:
 * an alarm counts on the day it was confirmed, from a scan of the history up
 * to that day only. Before {@link YEARLY_MIN_DAYS} no yearly index can be
 * fitted, so `scanDemandSpikes` is the plain online CUSUM, and one plain scan
 * of the whole series gives every day's live answer exactly; from then on the
 * history up to day T is scanned every {@link LIVE_STEP} days (the yearly index
 * is chosen from that history) and its alarms confirmed since the previous
 * scan are the ones raised live. Returns the confirmation days.
 */
function liveAlarms(series: Series): number[] {
  const history = (end: number) => ({
    sales: series.sales.slice(0, end),
    startDate: START,
    ...(series.mentions ? { mentions: series.mentions.slice(0, end) } : {}),
  });
  const early = Math.min(DAYS, YEARLY_MIN_DAYS - 1);
  const plain = detectSpikes(series.sales.slice(0, early), { mentions: series.mentions?.slice(0, early) });
  const days = plain.alarms.map((a) => a.confirmedIndex);
  for (let from = early; from < DAYS; from += LIVE_STEP) {
    const end = Math.min(DAYS, from + LIVE_STEP);
    const { alarms } = scanDemandSpikes(history(end));
    for (const a of alarms)
      if (a.confirmedIndex >= from && a.confirmedIndex < end) days.push(a.confirmedIndex);
  }
  return days;
}

/** Live false alarms on series with no true shock: in all, and in the first year alone. */
function liveFalseAlarms(all: readonly Series[]) {
  const quiet = all.filter((s) => s.shockOnsets.length === 0);
  let alarms = 0;
  let firstYear = 0;
  for (const series of quiet) {
    const days = liveAlarms(series);
    alarms += days.length;
    firstYear += days.filter((d) => d < YEAR).length;
  }
  return {
    false_alarm_rate: quiet.length > 0 ? round(alarms / ((quiet.length * DAYS) / 365), 3) : null,
    false_alarm_rate_first_year:
      quiet.length > 0 && DAYS >= YEAR ? round(firstYear / ((quiet.length * YEAR) / 365), 3) : null,
    false_alarm_products: quiet.length,
  };
}

function runClass(name: string, all: readonly Series[]): void {
  const tally: Tally = {
    mase: [],
    maseMean: [],
    maeForecast: 0,
    maeNaive: 0,
    within: 0,
    totals: 0,
    covered: 0,
    coveredClosed: 0,
    days: 0,
    postShock: { covered: 0, days: 0, windows: 0 },
    methods: {},
    ms: [],
    cpuMs: [],
  };
  const delays: number[] = [];
  const flags: number[] = [];
  const salesOnly: number[] = [];
  const missed = { n: 0 };
  let falseAlarms = 0;
  let shocks = 0;
  for (const series of all) {
    backtest(series, tally);
    falseAlarms += detection(series, delays, flags, missed);
    salesOnlyDelays(series, salesOnly);
    shocks += series.shockOnsets.length;
  }
  emit({
    name: `forecast.${name}`,
    products: all.length,
    days: DAYS,
    origins: ORIGINS,
    horizon_days: HORIZON,
    mase: round(tally.mase.reduce((a, b) => a + b, 0) / tally.mase.length, 3),
    mase_mean: round(tally.maseMean.reduce((a, b) => a + b, 0) / tally.maseMean.length, 3),
    relative_mae_snaive: round(tally.maeForecast / tally.maeNaive, 3),
    within_20pct: round(tally.within / tally.totals, 3),
    coverage_80: round(tally.covered / tally.days, 3),
    coverage_80_closed: round(tally.coveredClosed / tally.days, 3),
    coverage_80_post_shock:
      tally.postShock.days > 0 ? round(tally.postShock.covered / tally.postShock.days, 3) : null,
    post_shock_windows: tally.postShock.windows,
    detect_delay_days: delays.length > 0 ? median(delays) : null,
    flag_delay_days: flags.length > 0 ? median(flags) : null,
    detect_delay_days_sales_only: salesOnly.length > 0 ? median(salesOnly) : null,
    detected_share: shocks > 0 ? round(1 - missed.n / shocks, 3) : null,
    ...liveFalseAlarms(all),
    false_alarm_rate_hindsight: round(falseAlarms / ((all.length * DAYS) / 365), 3),
    methods: tally.methods,
    ms_per_forecast: round(median(tally.ms), 2),
    cpu_ms_per_forecast: round(median(tally.cpuMs), 2),
  });
}

function synthetic(demandClass: DemandClass, classIndex: number): Series[] {
  return Array.from({ length: PRODUCTS }, (_, p) =>
    syntheticDemand(demandClass, DAYS, 1 + classIndex * 100_003 + p * 7919),
  );
}

/** The demo shops' logs, replayed through the daily-sales projection. */
async function demoReplay(): Promise<Series[]> {
  const shops = Math.max(1, Math.round(PRODUCTS / CATALOG.length));
  const now = Date.parse(`${addDays(START, DAYS)}T12:00:00Z`);
  const products = CATALOG.map((p) => ({
    productId: p.id,
    weight: p.weight,
    viral: p.id === VIRAL_PRODUCT_ID,
  }));
  const out: Series[] = [];
  for (let shop = 0; shop < shops; shop++) {
    const store = createEventStore({ occurredAtWindow: null });
    const commerce = createCommerce({ store, pollIntervalMs: 5 });
    await commerce.start();
    // Spikes land inside the evaluated span (the last ORIGINS × 30 days but the last 30).
    const viralDaysAgo = 40 + ((shop * 37) % Math.max(1, ORIGINS * HORIZON - 20));
    const creatorId = `demo-shop-${shop}`;
    await importDemoSalesHistory(store, creatorId, {
      products,
      days: DAYS,
      now,
      seed: 2026 + shop,
      viralDaysAgo,
    });
    await commerce.whenIdle(300_000);
    const rows = await commerce.readModels.unscopedRows<ProductDailySalesRow>('product_daily_sales');
    await commerce.stop();
    await store.close();
    for (const p of products) {
      const sales = new Array<number>(DAYS).fill(0);
      for (const r of rows) {
        if (r.product_id !== p.productId) continue;
        const i = daysBetween(START, r.day);
        if (i >= 0 && i < DAYS) sales[i] = Number(r.units);
      }
      out.push({ sales, shockOnsets: p.viral ? [DAYS - viralDaysAgo] : [] });
    }
  }
  return out;
}

export default async function forecastBenchmark(): Promise<void> {
  const only = process.env.FORECAST_CLASSES?.split(',');
  DEMAND_CLASSES.forEach((c, i) => {
    if (!only || only.includes(c)) runClass(c, synthetic(c, i));
  });
  if (!only || only.includes('demo_replay')) runClass('demo_replay', await demoReplay());
}
