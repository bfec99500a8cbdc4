/**
 * Yearly seasonality (the holidays, summer): a multiplicative index per week
 * of a 52-week year, estimated by classical ratio-to-moving-average
 * decomposition on weekly totals (fpp3 §3.4) and smoothed over neighbouring
 * weeks. A model is fitted on the sales divided by the index and its
 * forecasts (means and sample paths) are multiplied back. Whether a product
 * gets the yearly index at all is decided by out-of-sample error: the index
 * is re-estimated at each earlier origin from the history before it, and it
 * must beat the same method without it.
 */
import type { FittedDemandModel } from './demand-model.js';
import type { RandomSource } from './random.js';
import { fitMethod, fitMethodPrefixes, widened } from './select-model.js';
import { rootMeanSquaredError } from './statistics.js';

/** Weeks in the yearly cycle (a 364-day year keeps weekdays aligned). */
export const YEAR_WEEKS = 52;
/** Least history, in days, for a yearly index: every week of the year seen once, plus a margin. */
export const YEARLY_MIN_DAYS = 420;
/** Share by which the yearly variant must beat the plain one out of sample. */
const MARGIN = 0.02;
const SMOOTHING = new Set(['ses', 'holt-damped', 'holt-winters']);
/** Smallest factor an index may have (a week selling a quarter of the average). */
const MIN_FACTOR = 0.25;
/** Smoothing weights over the neighbouring weeks (−2 … +2). */
const SMOOTH = [1, 2, 3, 2, 1];

/** Week of the yearly cycle of day `t` (days since the series' first day). */
export function yearWeek(t: number): number {
  return Math.floor(t / 7) % YEAR_WEEKS;
}

/**
 * The yearly index (52 factors with mean 1) of a daily series, or null with
 * less than {@link YEARLY_MIN_DAYS} days, no sales, or a week of the year
 * below a quarter of the average (too sparse to estimate). Weekly totals are
 * divided by their centred 52-week moving average (held flat beyond the
 * ends, where it is not defined), averaged per week of the year, smoothed
 * with weights 1-2-3-2-1 around the year and normalised.
 *
 * @example
 * ```ts
 * const index = yearlyIndex(dailySales); // index[yearWeek(t)] ≈ 1.2 in the holiday weeks
 * ```
 */
export function yearlyIndex(y: readonly number[]): number[] | null {
  const weeks = Math.floor(y.length / 7);
  if (y.length < YEARLY_MIN_DAYS) return null;
  const totals = Array.from({ length: weeks }, (_, j) => {
    let s = 0;
    for (let d = 0; d < 7; d++) s += y[j * 7 + d]!;
    return s;
  });
  // Centred 2×52 moving average, defined for j in [26, weeks − 26], held flat beyond.
  const half = YEAR_WEEKS / 2;
  const trend = new Array<number>(weeks);
  const lo = half;
  const hi = weeks - half;
  if (hi < lo) return null;
  for (let j = lo; j <= Math.min(hi, weeks - 1); j++) {
    let s = 0.5 * (totals[j - half]! + (j + half < weeks ? totals[j + half]! : totals[j - half]!));
    for (let k = j - half + 1; k < j + half; k++) s += totals[k]!;
    trend[j] = s / YEAR_WEEKS;
  }
  for (let j = 0; j < lo; j++) trend[j] = trend[lo]!;
  for (let j = Math.min(hi, weeks - 1) + 1; j < weeks; j++) trend[j] = trend[Math.min(hi, weeks - 1)]!;
  const sums = new Array<number>(YEAR_WEEKS).fill(0);
  const counts = new Array<number>(YEAR_WEEKS).fill(0);
  totals.forEach((total, j) => {
    if (trend[j]! > 0) {
      sums[j % YEAR_WEEKS]! += total / trend[j]!;
      counts[j % YEAR_WEEKS]!++;
    }
  });
  if (counts.some((c) => c === 0)) return null;
  const raw = sums.map((s, k) => s / counts[k]!);
  const smoothed = raw.map((_, k) => {
    let s = 0;
    SMOOTH.forEach((w, i) => (s += w * raw[(k + i - 2 + YEAR_WEEKS) % YEAR_WEEKS]!));
    return s / 9;
  });
  const m = smoothed.reduce((a, b) => a + b, 0) / YEAR_WEEKS;
  if (!(m > 0)) return null;
  const index = smoothed.map((v) => v / m);
  // Weeks that never sell (a sparse seller) would divide sales by ~0: too
  // little to tell a yearly pattern from lumps.
  return Math.min(...index) >= MIN_FACTOR ? index : null;
}

/** A model fitted on yearly-adjusted sales; its forecasts carry the index again. */
export class YearlyAdjustedModel implements FittedDemandModel {
  readonly method: FittedDemandModel['method'];
  readonly parameters: Readonly<Record<string, number>>;
  readonly #inner: FittedDemandModel;
  readonly #index: readonly number[];
  /** Day number (since the series' start) of the first forecast day. */
  readonly #next: number;

  constructor(inner: FittedDemandModel, index: readonly number[], historyLength: number) {
    this.#inner = inner;
    this.#index = index;
    this.#next = historyLength;
    this.method = inner.method;
    this.parameters = {
      ...inner.parameters,
      yearlyAmplitude: Math.max(...index) - Math.min(...index),
    };
  }

  /** The 52 weekly factors, `index[yearWeek(t)]` for day t of the history (the spike detector's yearly term). */
  get index(): readonly number[] {
    return this.#index;
  }

  /** The yearly factor of forecast day `h` (0 = first). */
  factor(h: number): number {
    return this.#index[yearWeek(this.#next + h)]!;
  }

  forecastMean(horizon: number): number[] {
    return this.#inner.forecastMean(horizon).map((v, h) => v * this.factor(h));
  }

  simulatePath(rng: RandomSource, horizon: number): number[] {
    return this.#inner.simulatePath(rng, horizon).map((v, h) => v * this.factor(h));
  }

  seasonalOffsets(): number[] {
    return this.#inner.seasonalOffsets().map((o, h) => o * this.factor(h));
  }
}

/** Sales divided by the yearly index. */
export function deseasonalised(y: readonly number[], index: readonly number[]): number[] {
  return y.map((v, t) => v / index[yearWeek(t)]!);
}

/**
 * Fit `inner`'s method with the yearly index when that does better out of
 * sample than without: at up to six earlier origins 28 days apart, the index
 * is estimated on the history before the origin, the method fitted on the
 * adjusted history, and its re-seasonalised forecast scored on the next 28
 * days by RMSE against the plain method's. Returns `inner` otherwise.
 *
 * @example
 * ```ts
 * const model = withYearlySeasonality(selectModel(sales, 28).model, sales);
 * ```
 */
export function withYearlySeasonality(
  inner: FittedDemandModel,
  y: readonly number[],
  window = 28,
): FittedDemandModel {
  // Smoothing models only: the intermittent methods model counts of sparse sales.
  if (!SMOOTHING.has(inner.method)) return inner;
  const index = yearlyIndex(y);
  if (!index) return inner;
  // The origins, newest first, up to the first whose history is too short for an index.
  const origins: Array<{ origin: number; priorIndex: number[] }> = [];
  for (let k = 1; k <= 6; k++) {
    const origin = y.length - k * window;
    const priorIndex = yearlyIndex(y.slice(0, origin));
    if (!priorIndex) break;
    origins.push({ origin, priorIndex });
  }
  // The plain fits share one pass of the parameter grid (their histories are prefixes of y).
  const plainAt = fitMethodPrefixes(
    inner.method,
    y,
    origins.map((o) => o.origin),
  );
  let plain = 0;
  let yearly = 0;
  let scored = 0;
  for (const { origin, priorIndex } of origins) {
    const prior = y.slice(0, origin);
    const actual = y.slice(origin, origin + window);
    const a = plainAt(origin);
    const b = fitMethod(inner.method, deseasonalised(prior, priorIndex));
    if (!a || !b) continue;
    plain += rootMeanSquaredError(actual, a.forecastMean(window));
    yearly += rootMeanSquaredError(
      actual,
      new YearlyAdjustedModel(b, priorIndex, origin).forecastMean(window),
    );
    scored++;
  }
  if (scored < 2 || yearly >= (1 - MARGIN) * plain) return inner;
  const fitted = fitMethod(inner.method, deseasonalised(y, index));
  return fitted ? new YearlyAdjustedModel(widened(fitted, yearly / scored), index, y.length) : inner;
}
