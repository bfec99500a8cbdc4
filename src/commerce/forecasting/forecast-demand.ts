/**
 * A product's demand forecast: the method chosen by out-of-sample error, a
 * spike check, and the forecast distribution read from simulated futures.
 */
import { cleanSpikes, MAX_SPIKE_DAYS, type SpikeWindow } from './clean-spikes.js';
import { addDays, dateMs, weekdayOf, type Weekday } from './dates.js';
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import { assertDemandSeries, assertIntegerIn, ForecastInputError } from './errors.js';
import { WEEK } from './exponential-smoothing.js';
import { seededRandom } from './random.js';
import { fitMethod, selectModel, type CandidateScore } from './select-model.js';
import {
  detectSpikes,
  type SpikeDetectorOptions,
  type SpikeScan,
  type SpikeSignal,
} from './spike-detector.js';
import { MAX_MENTIONS_LAG, type MentionsExcess } from './mentions-driver.js';
import { countVariance, extraPoissonVariance } from './spike-fade-posterior.js';
import { fitSpikeDecay, SpikeAdjustedModel } from './spike-model.js';
import { quantileSorted } from './statistics.js';
import { withYearlySeasonality, YEAR_WEEKS, YearlyAdjustedModel, yearlyIndex } from './yearly-seasonality.js';

/** Days of the yearly cycle. */
const YEAR_DAYS = YEAR_WEEKS * WEEK;

/** Longest horizon served. */
export const MAX_HORIZON_DAYS = 90;

/** A product's daily history. */
export interface DemandHistory {
  /** Units sold per day, oldest first. */
  sales: readonly number[];
  /** The date (`YYYY-MM-DD`, UTC) of `sales[0]`. */
  startDate: string;
  /** Social-media mentions per day, aligned with `sales` (optional driver). */
  mentions?: readonly number[];
}

/**
 * Options of {@link forecastDemand}.
 *
 * @example
 * ```ts
 * const options: ForecastOptions = { horizon: 14, paths: 2_000, seed: 7, methods: ['croston-sba', 'tsb'] };
 * const f = forecastDemand({ sales: last90Days, startDate: '2026-09-04' }, options);
 * ```
 */
export interface ForecastOptions {
  /** Days ahead, 1–90. Default 30. */
  horizon?: number;
  /** Simulated futures the distribution is read from, 100–20000. Default 1000. */
  paths?: number;
  /** Seed of the simulation (same input and seed, same forecast). Default 1. */
  seed?: number;
  /** Restrict the methods tried. */
  methods?: readonly ForecastMethod[];
  /** Days of each holdout window in the selection. Default 28. */
  selectionWindow?: number;
  /** A confirmed spike with onset this many days back or fewer may reshape the forecast. Default 120. */
  spikeMemoryDays?: number;
  spikeDetector?: SpikeDetectorOptions;
}

/** One forecast day. Quantiles are of that day's demand. */
export interface ForecastDay {
  date: string;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
}

/** The seasonal adjustment the forecast applies, in plain units. */
export interface SeasonalAdjustment {
  /** True when the chosen model has a weekly pattern. */
  present: boolean;
  /** Units/day the weekday adds to (or takes from) the level. */
  byWeekday: Record<Weekday, number>;
  /**
   * Units the yearly index adds to (or takes from) each forecast day's mean,
   * first day first (the holiday swell, made visible); all zero when the
   * model carries no yearly index.
   */
  yearlyByDay: number[];
}

/** A demand forecast: a distribution per day, kept sample paths, and how it was made. */
export interface DemandForecast {
  method: ForecastMethod;
  parameters: Readonly<Record<string, number>>;
  /** The first forecast date (the day after the history). */
  firstDate: string;
  days: ForecastDay[];
  /** Distribution of the horizon's total demand. */
  total: { mean: number; p10: number; p50: number; p90: number };
  seasonality: SeasonalAdjustment;
  spike: SpikeSignal;
  /** True when a recent confirmed spike reshaped the forecast. */
  spikeAdjusted: boolean;
  candidates: CandidateScore[];
  /**
   * The simulated futures (paths[i][h] = units on day h of future i), for
   * stock-out and reorder calculations; not meant for storage.
   */
  paths: readonly (readonly number[])[];
}

function resolved(options: ForecastOptions) {
  const horizon = options.horizon ?? 30;
  const paths = options.paths ?? 1000;
  assertIntegerIn('horizon', horizon, 1, MAX_HORIZON_DAYS);
  assertIntegerIn('paths', paths, 100, 20_000);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed))
    throw new ForecastInputError('seed', `expected an integer, got ${String(seed)}`);
  return {
    horizon,
    paths,
    seed,
    window: options.selectionWindow ?? 28,
    spikeMemory: options.spikeMemoryDays ?? MAX_SPIKE_DAYS,
  };
}

/** Days before a spike's onset (and its mentions' lead) the mentions' usual level is read from. */
const MENTIONS_BASE_DAYS = 4 * WEEK;

/**
 * The mentions around a spike, as the driver reads them: their excess over
 * the median of the four weeks before (ending {@link MAX_MENTIONS_LAG} days
 * before onset, as talk may lead the sales), from that many days before onset,
 * and their own fade from their peak. Null without mentions or history for a level.
 */
function mentionsAround(mentions: readonly number[] | undefined, onset: number): MentionsExcess | null {
  const start = onset - MAX_MENTIONS_LAG;
  if (!mentions || start < MENTIONS_BASE_DAYS) return null;
  const before = mentions.slice(start - MENTIONS_BASE_DAYS, start);
  const level = quantileSorted(Float64Array.from(before).sort(), 0.5);
  const extraPoisson = extraPoissonVariance(before);
  const excess = mentions.slice(start).map((m) => m - level);
  // A mention excess within three standard deviations of a day's count is noise.
  const noiseFloor = 3 * Math.sqrt(Math.max(1, countVariance(level, extraPoisson)));
  const fade = fitSpikeDecay(excess, { baseline: excess.map(() => level), extraPoisson });
  return { excess, noiseFloor, fades: fade.fades };
}

/** Baseline (fitted on the history before onset) plus the decaying excess since (driven by mentions when they have it). */
function adaptToSpike(
  sales: readonly number[],
  mentions: readonly number[] | undefined,
  cleaned: readonly number[],
  onset: number,
  methods: readonly ForecastMethod[] | undefined,
  window: number,
): FittedDemandModel | null {
  if (onset < 2 * WEEK) return null;
  const baseline = selectModel(cleaned.slice(0, onset), window, methods).model;
  const lead = sales.length - onset;
  const expected = baseline.forecastMean(lead);
  const excess = sales.slice(onset).map((v, i) => v - expected[i]!);
  const noise = { baseline: expected, extraPoisson: extraPoissonVariance(cleaned.slice(0, onset)) };
  const talk = mentionsAround(mentions, onset);
  return new SpikeAdjustedModel(baseline, lead, fitSpikeDecay(excess, noise, talk ?? undefined));
}

function assertHistory(history: DemandHistory): void {
  assertDemandSeries('sales', history.sales);
  dateMs('startDate', history.startDate);
  if (history.mentions && history.mentions.length !== history.sales.length) {
    throw new ForecastInputError(
      'mentions',
      `expected ${history.sales.length} days, got ${history.mentions.length}`,
    );
  }
}

/** What the history says before the forecast is drawn. */
interface FittedHistory {
  scan: SpikeScan;
  cleaned: number[];
  windows: SpikeWindow[];
  selection: ReturnType<typeof selectModel>;
  /** The selected model, with the yearly index when it wins out of sample. */
  seasonal: FittedDemandModel;
}

function cleanAndSelect(
  sales: readonly number[],
  scan: SpikeScan,
  window: number,
  methods: readonly ForecastMethod[] | undefined,
): Omit<FittedHistory, 'scan'> {
  const { cleaned, windows } = cleanSpikes(
    sales,
    scan.alarms.map((a) => a.onsetIndex),
  );
  const selection = selectModel(cleaned.length > 0 ? cleaned : [0], window, methods);
  return { cleaned, windows, selection, seasonal: withYearlySeasonality(selection.model, cleaned, window) };
}

/** Days an alarm of one scan may sit from the same alarm of another. */
const SAME_ALARM_DAYS = 7;
/** Days before an alarm's onset its rise is measured against. */
const RISE_BASE_DAYS = 4 * WEEK;
/** Days after an onset a rise is measured over (fewer at the end of the series, but at least a week). */
const RISE_DAYS = 4 * WEEK;
const MIN_RISE_DAYS = WEEK;
/** How much more an alarm's rise may be than the same weeks' rise a year apart and still be the season. */
const SEASON_TOLERANCE = 0.15;

/** Mean sales of the `days` from `at` over the mean of the {@link RISE_BASE_DAYS} before (null: no sales before). */
function riseAt(sales: readonly number[], at: number, days: number): number | null {
  let before = 0;
  let after = 0;
  for (let t = at - RISE_BASE_DAYS; t < at; t++) before += sales[t]!;
  for (let t = at; t < at + days; t++) after += sales[t]!;
  return before > 0 ? after / days / (before / RISE_BASE_DAYS) : null;
}

/**
 * True when the rise after an alarm's onset was there a year before or after
 * too ({@link YEAR_DAYS} days apart, so on the same weekdays): the alarm's
 * rise is at most {@link SEASON_TOLERANCE} above the other year's over the
 * same days. A season does that, a viral shock does not. Needs the other
 * year in the series: a product's first season seen alone cannot tell.
 */
function seasonRecurs(sales: readonly number[], onset: number): boolean {
  const verdicts: boolean[] = [];
  for (const other of [onset - YEAR_DAYS, onset + YEAR_DAYS]) {
    const days = Math.min(RISE_DAYS, sales.length - Math.max(onset, other));
    if (Math.min(onset, other) < RISE_BASE_DAYS || days < MIN_RISE_DAYS) continue;
    const here = riseAt(sales, onset, days);
    const then = riseAt(sales, other, days);
    if (here !== null && then !== null) verdicts.push(here <= then * (1 + SEASON_TOLERANCE));
  }
  return verdicts.length > 0 && verdicts.every(Boolean);
}

/**
 * True when the scan with a yearly index (`seasonal`) drops alarms of the
 * plain one (`plain`), raises none of its own, and every alarm it drops was
 * a rise that recurs a year apart ({@link seasonRecurs}).
 */
function explainedBySeason(sales: readonly number[], plain: SpikeScan, seasonal: SpikeScan): boolean {
  const near = (a: { onsetIndex: number }, b: { onsetIndex: number }) =>
    Math.abs(a.onsetIndex - b.onsetIndex) <= SAME_ALARM_DAYS;
  if (seasonal.alarms.some((a) => !plain.alarms.some((b) => near(a, b)))) return false;
  const dropped = plain.alarms.filter((a) => !seasonal.alarms.some((b) => near(a, b)));
  return dropped.length > 0 && dropped.every((a) => seasonRecurs(sales, a.onsetIndex));
}

/**
 * Scan for spikes, take them out, choose the model. When the model carries a
 * yearly index (chosen by out-of-sample error), the sales are scanned again
 * with it, so a seasonal peak is not taken for a spike (and cleaned away);
 * when the alarms change, the history is cleaned of the new alarms and the
 * model chosen again, and the new scan is kept only if that model still
 * takes a yearly index out of sample (else a spurious index, fitted to a
 * spike's residue, could hide the spike).
 */
function fitWithChosenIndex(
  sales: readonly number[],
  mentions: readonly number[] | undefined,
  o: ReturnType<typeof resolved>,
  options: ForecastOptions,
): FittedHistory {
  const scan = detectSpikes(sales, { mentions, options: options.spikeDetector });
  const first = cleanAndSelect(sales, scan, o.window, options.methods);
  if (!(first.seasonal instanceof YearlyAdjustedModel)) return { scan, ...first };
  const rescan = detectSpikes(sales, {
    mentions,
    options: options.spikeDetector,
    yearlyIndex: first.seasonal.index,
  });
  const same =
    scan.alarms.length === rescan.alarms.length &&
    scan.alarms.every((a, i) => a.onsetIndex === rescan.alarms[i]!.onsetIndex);
  if (same) return { scan: rescan, ...first };
  const second = cleanAndSelect(sales, rescan, o.window, options.methods);
  // The index that changed the alarms must still win out of sample on the history it leaves.
  if (!(second.seasonal instanceof YearlyAdjustedModel)) return { scan, ...first };
  return { scan: rescan, ...second };
}

/**
 * {@link fitWithChosenIndex}, then a second look at the alarms it left: the
 * first scan's alarms may have cleaned a swell away before the index was
 * chosen (leaving none, or a weak one). So the raw sales' yearly index is
 * tried on them: if the scan with it only drops alarms, and each dropped
 * alarm's rise came back a year apart (a season recurs on the calendar, a
 * viral shock does not), that scan is kept and the model chosen again on the
 * history cleaned of what remains.
 */
function fitHistory(
  history: DemandHistory,
  o: ReturnType<typeof resolved>,
  options: ForecastOptions,
): FittedHistory {
  const { sales, mentions } = history;
  const fitted = fitWithChosenIndex(sales, mentions, o, options);
  const index = fitted.scan.alarms.length > 0 ? yearlyIndex(sales) : null;
  if (!index) return fitted;
  const rescan = detectSpikes(sales, { mentions, options: options.spikeDetector, yearlyIndex: index });
  if (!explainedBySeason(sales, fitted.scan, rescan)) return fitted;
  return { scan: rescan, ...cleanAndSelect(sales, rescan, o.window, options.methods) };
}

/**
 * The spike scan {@link forecastDemand} bases its forecast on: the sales (and
 * mentions) scanned with the yearly index when the chosen model has one, or
 * with the raw sales' index when the alarms it drops are a season that
 * recurs a year apart.
 *
 * @example
 * ```ts
 * const { alarms, latest } = scanDemandSpikes({ sales, startDate: '2025-01-01', mentions });
 * ```
 */
export function scanDemandSpikes(history: DemandHistory, options: ForecastOptions = {}): SpikeScan {
  assertHistory(history);
  return fitHistory(history, resolved(options), options).scan;
}

function seasonalAdjustment(
  model: FittedDemandModel,
  firstDate: string,
  means: readonly number[],
): SeasonalAdjustment {
  const offsets = model.seasonalOffsets();
  const byWeekday = {} as Record<Weekday, number>;
  for (let i = 0; i < WEEK; i++) byWeekday[weekdayOf(addDays(firstDate, i))] = offsets[i] ?? 0;
  // mean = (level + weekly offset) × factor. The offsets in byWeekday already
  // carry the factor, so the index's own part is the level's: level × (factor − 1).
  const yearlyByDay = means.map((m, h) => {
    if (!(model instanceof YearlyAdjustedModel)) return 0;
    const factor = model.factor(h);
    const offset = (offsets[h % WEEK] ?? 0) / model.factor(h % WEEK);
    return (m / factor - offset) * (factor - 1);
  });
  return { present: offsets.some((o) => Math.abs(o) > 1e-9), byWeekday, yearlyByDay };
}

/**
 * Forecast a product's daily demand `horizon` days ahead as a distribution.
 * The method (simple, damped-trend or Holt-Winters smoothing; SBA or TSB for
 * sparse sellers) is chosen by out-of-sample error; a confirmed recent spike
 * (from sales, or sales plus mentions) switches to baseline-plus-decaying-
 * excess. Deterministic for a given input and seed.
 *
 * @example
 * ```ts
 * const f = forecastDemand({ sales: last90Days, startDate: '2026-09-04' }, { horizon: 30 });
 * f.days[0] // { date: '2026-12-03', mean: 11.8, p10: 7.1, p50: 11.6, p90: 16.9 }
 * ```
 */
export function forecastDemand(history: DemandHistory, options: ForecastOptions = {}): DemandForecast {
  assertHistory(history);
  const o = resolved(options);
  const sales = history.sales;
  const firstDate = addDays(history.startDate, sales.length);
  const { scan, cleaned, windows, selection, seasonal } = fitHistory(history, o, options);
  // A spike still under way (its window reaches today) reshapes the forecast.
  const live = windows.find((w) => w.end === sales.length && sales.length - w.start <= o.spikeMemory);
  const adapted = live
    ? adaptToSpike(sales, history.mentions, cleaned, live.start, options.methods, o.window)
    : null;
  const model = adapted ?? seasonal;
  return distribution(model, o, firstDate, {
    spike: scan.latest,
    spikeAdjusted: adapted !== null,
    candidates: selection.candidates,
  });
}

function distribution(
  model: FittedDemandModel,
  o: ReturnType<typeof resolved>,
  firstDate: string,
  extra: Pick<DemandForecast, 'spike' | 'spikeAdjusted' | 'candidates'>,
): DemandForecast {
  const rng = seededRandom(o.seed);
  const paths: number[][] = [];
  for (let i = 0; i < o.paths; i++) paths.push(model.simulatePath(rng, o.horizon));
  const means = model.forecastMean(o.horizon);
  const days: ForecastDay[] = [];
  const column = new Float64Array(o.paths);
  for (let h = 0; h < o.horizon; h++) {
    for (let i = 0; i < o.paths; i++) column[i] = paths[i]![h]!;
    column.sort();
    days.push({
      date: addDays(firstDate, h),
      mean: means[h]!,
      p10: quantileSorted(column, 0.1),
      p50: quantileSorted(column, 0.5),
      p90: quantileSorted(column, 0.9),
    });
  }
  const totals = Float64Array.from(paths, (p) => p.reduce((a, b) => a + b, 0)).sort();
  return {
    method: model.method,
    parameters: model.parameters,
    firstDate,
    days,
    total: {
      mean: means.reduce((a, b) => a + b, 0),
      p10: quantileSorted(totals, 0.1),
      p50: quantileSorted(totals, 0.5),
      p90: quantileSorted(totals, 0.9),
    },
    seasonality: seasonalAdjustment(model, firstDate, means),
    ...extra,
    paths,
  };
}

/**
 * Fit one named method (no selection, no spike handling) and return its
 * forecast distribution; for comparisons and tests.
 *
 * @example
 * ```ts
 * const f = forecastWithMethod('tsb', { sales, startDate: '2026-01-01' });
 * ```
 */
export function forecastWithMethod(
  method: ForecastMethod,
  history: DemandHistory,
  options: ForecastOptions = {},
): DemandForecast {
  assertDemandSeries('sales', history.sales);
  dateMs('startDate', history.startDate);
  const o = resolved(options);
  const model =
    fitMethod(method, history.sales) ?? fitMethod('ses', history.sales.length > 0 ? history.sales : [0])!;
  return distribution(model, o, addDays(history.startDate, history.sales.length), {
    spike: detectSpikes(history.sales).latest,
    spikeAdjusted: false,
    candidates: [],
  });
}
