/**
 * Exponential smoothing in its innovations state-space form (ETS with
 * additive errors; Hyndman & Athanasopoulos, "Forecasting: Principles and
 * Practice", 3rd ed., §8.5 and Table 8.7): simple smoothing, Holt's damped
 * trend, and Holt-Winters with a damped trend and additive weekly
 * seasonality. Prediction distributions come from simulating the state
 * equations with bootstrapped one-step residuals (fpp3 §8.7, "bootstrapped
 * residuals"), so they need no normality assumption.
 */
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import { pick, type RandomSource } from './random.js';
import { mean } from './statistics.js';

/** Days in the seasonal cycle. */
export const WEEK = 7;

/** Smoothing parameters of one exponential-smoothing model. */
export interface SmoothingParameters {
  /** Level smoothing, 0 < alpha ≤ 1. */
  alpha: number;
  /** Trend smoothing (0: no trend component). */
  beta: number;
  /** Seasonal smoothing (ignored without seasonality). */
  gamma: number;
  /** Trend damping, 0 < phi ≤ 1. */
  phi: number;
}

/** Which components a model has. */
export interface SmoothingShape {
  trend: boolean;
  seasonal: boolean;
}

/** The state after the last observation, and the fit's residuals. */
export interface SmoothingFit {
  level: number;
  trend: number;
  /**
   * The seasonal states of the last cycle, oldest first: index 0 is the slot
   * of the first forecast day ({@link WEEK} slots unless the initial season
   * had another length).
   */
  season: number[];
  /** One-step-ahead errors, y − ŷ. */
  residuals: number[];
  /** Sum of squared one-step errors. */
  sse: number;
}

/** Initial states, if the caller knows them (the default is a heuristic from the first two weeks). */
export interface InitialStates {
  level: number;
  trend?: number;
  /**
   * One state per slot of the seasonal cycle, index 0 the slot of the first
   * observation. Its length is the period: {@link WEEK} for daily sales;
   * another length runs the same recursions with that period (a published
   * quarterly example, say).
   */
  season?: number[];
}

function initialStates(y: readonly number[], shape: SmoothingShape): Required<InitialStates> {
  const span = Math.min(y.length, 2 * WEEK);
  const first = y.slice(0, span);
  const level = mean(first);
  // The initial slope is estimated over the first eight weeks where there are
  // that many: from two weeks it is mostly noise, and a small beta keeps it.
  let trend = 0;
  const weeks = Math.min(8, Math.floor(y.length / WEEK));
  if (shape.trend && weeks >= 2) {
    const half = Math.floor(weeks / 2) * WEEK;
    trend = (mean(y.slice(half, 2 * half)) - mean(y.slice(0, half))) / half;
  }
  const season = new Array<number>(WEEK).fill(0);
  if (shape.seasonal && span >= WEEK) {
    const counts = new Array<number>(WEEK).fill(0);
    for (let i = 0; i < span; i++) {
      season[i % WEEK]! += first[i]! - level;
      counts[i % WEEK]!++;
    }
    for (let d = 0; d < WEEK; d++) season[d] = counts[d]! > 0 ? season[d]! / counts[d]! : 0;
    const offset = mean(season);
    for (let d = 0; d < WEEK; d++) season[d]! -= offset;
  }
  return { level, trend, season };
}

/**
 * Run the ETS(A,Ad,A) recursions over `y` (components off per `shape`):
 *
 *     ŷ_t = ℓ + φb + s_{t−m};  e_t = y_t − ŷ_t
 *     ℓ ← ℓ + φb + αe;  b ← φb + βe;  s_t = s_{t−m} + γe
 *
 * with period m = 7, or the length of `initial.season` when given.
 *
 * @example
 * ```ts
 * const fit = runSmoothing(sales, { trend: false, seasonal: false }, { alpha: 0.1, beta: 0, gamma: 0, phi: 1 });
 * fit.level // the smoothed level after the last day
 * ```
 */
export function runSmoothing(
  y: readonly number[],
  shape: SmoothingShape,
  p: SmoothingParameters,
  initial?: InitialStates,
): SmoothingFit {
  return recurse(y, shape, p, initial ?? initialStates(y, shape));
}

/**
 * The recursions of {@link runSmoothing}; with `marks` (ascending day
 * counts), `sseAt[i]` gets the squared error summed over the first
 * `marks[i]` days: a prefix's own fit's `sse`, as the recursions are causal.
 */
function recurse(
  y: readonly number[],
  shape: SmoothingShape,
  p: SmoothingParameters,
  initial: InitialStates,
  marks: readonly number[] = [],
  sseAt: number[] = [],
): SmoothingFit {
  let level = initial.level;
  let trend = shape.trend ? (initial.trend ?? 0) : 0;
  const season = shape.seasonal && initial.season ? [...initial.season] : new Array<number>(WEEK).fill(0);
  const period = season.length;
  const phi = shape.trend ? p.phi : 0;
  const residuals = new Array<number>(y.length);
  let sse = 0;
  let mark = 0;
  for (let t = 0; t < y.length; t++) {
    const slot = t % period;
    const error = y[t]! - (level + phi * trend + season[slot]!);
    residuals[t] = error;
    sse += error * error;
    level = level + phi * trend + p.alpha * error;
    if (shape.trend) trend = phi * trend + p.beta * error;
    if (shape.seasonal) season[slot] = season[slot]! + p.gamma * error;
    if (t + 1 === marks[mark]) sseAt[mark++] = sse;
  }
  // Reorder the season so that index 0 is the slot of day y.length (the first forecast day).
  const next = y.length % period;
  const rotated = [...season.slice(next), ...season.slice(0, next)];
  return { level, trend, season: rotated, residuals, sse };
}

/**
 * Clip residuals to five robust standard deviations (1.4826 × median absolute
 * deviation): the days of a past viral spike would otherwise be resampled into
 * every future and widen all intervals; ordinary demand never reaches 5σ.
 */
export function winsorize(residuals: readonly number[]): number[] {
  const sorted = [...residuals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const deviations = residuals.map((r) => Math.abs(r - median)).sort((a, b) => a - b);
  const limit = 5 * 1.4826 * deviations[Math.floor(deviations.length / 2)]!;
  if (limit <= 0) return [...residuals];
  return residuals.map((r) => Math.max(median - limit, Math.min(median + limit, r)));
}

const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.35, 0.6];
const TRENDS: ReadonlyArray<{ beta: number; phi: number }> = [
  { beta: 0, phi: 0 },
  { beta: 0.002, phi: 0.9 },
  { beta: 0.01, phi: 0.9 },
  { beta: 0.001, phi: 0.98 },
  { beta: 0.005, phi: 0.98 },
  { beta: 0.0005, phi: 1 },
  { beta: 0.002, phi: 1 },
];
const GAMMAS = [0, 0.02, 0.08, 0.2];

/** Every parameter combination tried for a shape (a coarse grid: robust, deterministic, cheap). */
function parameterGrid(shape: SmoothingShape): SmoothingParameters[] {
  const grid: SmoothingParameters[] = [];
  for (const alpha of ALPHAS) {
    for (const t of shape.trend ? TRENDS : [{ beta: 0, phi: 1 }]) {
      for (const gamma of shape.seasonal ? GAMMAS : [0]) {
        if (t.beta > alpha || gamma > 1 - alpha) continue;
        grid.push({ alpha, beta: t.beta, gamma, phi: t.phi });
      }
    }
  }
  return grid;
}

function methodOf(shape: SmoothingShape): ForecastMethod {
  if (shape.seasonal) return 'holt-winters';
  return shape.trend ? 'holt-damped' : 'ses';
}

/**
 * A fitted exponential-smoothing model: the parameters minimise the in-sample
 * one-step squared error over a fixed grid. Made by {@link fitSmoothing}.
 *
 * @example
 * ```ts
 * const model = fitSmoothing(sales, { trend: false, seasonal: true });
 * const path = model.simulatePath(seededRandom(1), 30);
 * ```
 */
export class SmoothingModel implements FittedDemandModel {
  readonly method: ForecastMethod;
  readonly parameters: Readonly<Record<string, number>>;
  readonly #shape: SmoothingShape;
  readonly #p: SmoothingParameters;
  readonly #fit: SmoothingFit;
  readonly #errorScale: number;
  /** The errors paths are drawn from; computed on first use (most fits only score a holdout). */
  #errorsMemo: number[] | undefined;

  constructor(shape: SmoothingShape, p: SmoothingParameters, fit: SmoothingFit, errorScale = 1) {
    this.method = methodOf(shape);
    this.#shape = shape;
    this.#p = p;
    this.#fit = fit;
    this.#errorScale = errorScale;
    this.parameters = { ...p };
  }

  get #errors(): number[] {
    if (this.#errorsMemo) return this.#errorsMemo;
    // Skip the first two weeks of residuals: they mostly measure the initial states.
    const { residuals } = this.#fit;
    const settled = residuals.slice(Math.min(2 * WEEK, Math.floor(residuals.length / 2)));
    this.#errorsMemo = settled.length > 0 ? winsorize(settled).map((e) => e * this.#errorScale) : [0];
    return this.#errorsMemo;
  }

  /** Root mean squared one-step error in sample (after the first two weeks). */
  inSampleRmse(): number {
    return Math.sqrt(mean(this.#errors.map((e) => e * e)));
  }

  /**
   * The same model with its simulated errors scaled by `factor`: the selector
   * widens a model whose out-of-sample errors exceeded its in-sample ones
   * (parameter and model uncertainty the residuals do not show).
   */
  withErrorScale(factor: number): SmoothingModel {
    return new SmoothingModel(this.#shape, this.#p, this.#fit, factor);
  }

  forecastMean(horizon: number): number[] {
    const { level, trend, season } = this.#fit;
    const phi = this.#shape.trend ? this.#p.phi : 0;
    const out: number[] = [];
    let damp = 0;
    let power = 1;
    for (let h = 1; h <= horizon; h++) {
      power *= phi;
      damp += power;
      out.push(Math.max(0, level + damp * trend + season[(h - 1) % season.length]!));
    }
    return out;
  }

  simulatePath(rng: RandomSource, horizon: number): number[] {
    let { level, trend } = this.#fit;
    const season = [...this.#fit.season];
    const phi = this.#shape.trend ? this.#p.phi : 0;
    const out: number[] = [];
    for (let h = 0; h < horizon; h++) {
      const slot = h % season.length;
      const error = pick(rng, this.#errors);
      out.push(Math.max(0, level + phi * trend + season[slot]! + error));
      level = level + phi * trend + this.#p.alpha * error;
      if (this.#shape.trend) trend = phi * trend + this.#p.beta * error;
      if (this.#shape.seasonal) season[slot] = season[slot]! + this.#p.gamma * error;
    }
    return out;
  }

  seasonalOffsets(): number[] {
    return this.#shape.seasonal ? [...this.#fit.season] : new Array<number>(WEEK).fill(0);
  }
}

/**
 * Fit an exponential-smoothing model of the given shape to a daily series.
 *
 * @example
 * ```ts
 * const model = fitSmoothing(dailySales, { trend: true, seasonal: true });
 * model.forecastMean(7) // next week's mean demand per day
 * ```
 */
export function fitSmoothing(y: readonly number[], shape: SmoothingShape): SmoothingModel {
  let best: { p: SmoothingParameters; fit: SmoothingFit } | null = null;
  // The initial states depend on the series only: computed once, not per grid point.
  const initial = initialStates(y, shape);
  for (const p of parameterGrid(shape)) {
    const fit = runSmoothing(y, shape, p, initial);
    if (best === null || fit.sse < best.fit.sse) best = { p, fit };
  }
  return new SmoothingModel(shape, best!.p, best!.fit);
}

/** Shortest prefix whose initial states are those of the whole series (the slope reads eight weeks). */
const SHARED_START_DAYS = 8 * WEEK;

/**
 * `fitSmoothing(y.slice(0, end), shape)` for each of `ends`, with one pass of
 * the parameter grid over the longest: the recursions are causal and
 * prefixes of at least eight weeks share the initial states, so each grid
 * point's squared error over a prefix is the prefix's own, and the prefix's
 * best grid point (first lowest, as `fitSmoothing` picks it) is read off the
 * pass. The same models, bit for bit; the chosen point is rerun only for the
 * ends asked for with `fitAt`. Shorter prefixes are fitted alone.
 *
 * @example
 * ```ts
 * const fitAt = fitSmoothingPrefixes(sales, { trend: true, seasonal: true }, [n - 56, n - 28, n]);
 * fitAt(n - 28).forecastMean(28) // as if fitted on the first n − 28 days only
 * ```
 */
export function fitSmoothingPrefixes(
  y: readonly number[],
  shape: SmoothingShape,
  ends: readonly number[],
): (end: number) => SmoothingModel {
  const marks = [...new Set(ends)]
    .filter((e) => e >= SHARED_START_DAYS && e <= y.length)
    .sort((a, b) => a - b);
  const best = new Map<number, { p: SmoothingParameters; sse: number }>();
  if (marks.length > 0) {
    const longest = y.slice(0, marks.at(-1));
    const initial = initialStates(longest, shape);
    const sseAt: number[] = [];
    for (const p of parameterGrid(shape)) {
      recurse(longest, shape, p, initial, marks, sseAt);
      marks.forEach((end, i) => {
        const known = best.get(end);
        if (known === undefined || sseAt[i]! < known.sse) best.set(end, { p, sse: sseAt[i]! });
      });
    }
  }
  return (end) => {
    const prefix = y.slice(0, end);
    const chosen = best.get(end);
    return chosen
      ? new SmoothingModel(shape, chosen.p, runSmoothing(prefix, shape, chosen.p))
      : fitSmoothing(prefix, shape);
  };
}
