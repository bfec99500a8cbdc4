/**
 * Choose a product's forecasting method by out-of-sample error: every
 * candidate is fitted on the history up to two earlier origins and scored on
 * the days that followed (rolling origin, fpp3 §5.10); the lowest root mean
 * squared error wins and is refitted on the whole history.
 */
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import { fitSmoothing, fitSmoothingPrefixes, SmoothingModel, WEEK } from './exponential-smoothing.js';
import { fitSba, fitTsb } from './intermittent-demand.js';
import { rootMeanSquaredError } from './statistics.js';

/** A candidate's out-of-sample score. */
export interface CandidateScore {
  method: ForecastMethod;
  /** Root mean squared error per day over the holdout windows (null: too little history to score). */
  holdoutRmse: number | null;
}

/** The chosen model and how every candidate scored. */
export interface ModelSelection {
  model: FittedDemandModel;
  candidates: CandidateScore[];
}

/** Share of zero-demand days from which intermittent methods are considered. */
const INTERMITTENT_ZERO_SHARE = 0.3;

/**
 * Fit one method to a series; null when the method cannot describe it
 * (Croston-type methods need at least one sale).
 *
 * @example
 * ```ts
 * fitMethod('holt-winters', sales)?.forecastMean(30)
 * ```
 */
export function fitMethod(method: ForecastMethod, y: readonly number[]): FittedDemandModel | null {
  switch (method) {
    case 'ses':
      return fitSmoothing(y, { trend: false, seasonal: false });
    case 'holt-damped':
      return fitSmoothing(y, { trend: true, seasonal: false });
    case 'holt-winters':
      return fitSmoothing(y, { trend: true, seasonal: true });
    case 'croston-sba':
      return fitSba(y);
    case 'tsb':
      return fitTsb(y);
  }
}

const SMOOTHING_SHAPES = {
  ses: { trend: false, seasonal: false },
  'holt-damped': { trend: true, seasonal: false },
  'holt-winters': { trend: true, seasonal: true },
} as const;

/**
 * `fitMethod(method, y.slice(0, end))` for each of `ends`, sharing one pass
 * of a smoothing method's parameter grid between them (the same models, see
 * `fitSmoothingPrefixes`); other methods are fitted per prefix.
 *
 * @example
 * ```ts
 * const fitAt = fitMethodPrefixes('holt-winters', sales, [n - 28, n]);
 * fitAt(n - 28)?.forecastMean(28)
 * ```
 */
export function fitMethodPrefixes(
  method: ForecastMethod,
  y: readonly number[],
  ends: readonly number[],
): (end: number) => FittedDemandModel | null {
  if (method === 'ses' || method === 'holt-damped' || method === 'holt-winters') {
    return fitSmoothingPrefixes(y, SMOOTHING_SHAPES[method], ends);
  }
  return (end) => fitMethod(method, y.slice(0, end));
}

/**
 * The methods worth trying on a series of this length and sparsity.
 *
 * @example
 * ```ts
 * candidateMethods([0, 0, 3, 0, 0, 1, 0]) // ['ses', 'croston-sba', 'tsb']
 * ```
 */
export function candidateMethods(
  y: readonly number[],
  allowed?: readonly ForecastMethod[],
): ForecastMethod[] {
  const zeros = y.filter((v) => v === 0).length / Math.max(1, y.length);
  const methods: ForecastMethod[] = ['ses'];
  if (y.length >= 4 * WEEK) methods.push('holt-damped', 'holt-winters');
  if (zeros >= INTERMITTENT_ZERO_SHARE && y.some((v) => v > 0)) methods.push('croston-sba', 'tsb');
  const chosen = allowed ? methods.filter((m) => allowed.includes(m)) : methods;
  return chosen.length > 0 ? chosen : ['ses'];
}

/** Origins of the holdout windows: up to three, `window` days apart, ending with the series. */
function holdoutOrigins(n: number, window: number): number[] {
  return [3 * window, 2 * window, window].map((back) => n - back).filter((origin) => origin >= 2 * WEEK);
}

/** A candidate's holdout score, and its fit on the whole series (one grid pass for both). */
function holdoutScore(
  method: ForecastMethod,
  y: readonly number[],
  window: number,
): { score: number | null; fitAll: () => FittedDemandModel | null } {
  const origins = holdoutOrigins(y.length, window);
  const fitAt = fitMethodPrefixes(method, y, [...origins, y.length]);
  let total = 0;
  let scored = 0;
  for (const origin of origins) {
    const model = fitAt(origin);
    if (!model) continue;
    total += rootMeanSquaredError(y.slice(origin, origin + window), model.forecastMean(window));
    scored++;
  }
  return { score: scored > 0 ? total / scored : null, fitAll: () => fitAt(y.length) };
}

/**
 * Score the candidates on held-out windows of up to `window` days and fit
 * the best on the whole series. Ties and unscored candidates fall back to the
 * simplest method (listed first).
 *
 * @example
 * ```ts
 * const { model, candidates } = selectModel(dailySales, 28);
 * model.method // e.g. 'holt-winters'
 * ```
 */
export function selectModel(
  y: readonly number[],
  window: number,
  allowed?: readonly ForecastMethod[],
): ModelSelection {
  const size = Math.max(WEEK, Math.min(window, Math.floor(y.length / 5)));
  const scored = candidateMethods(y, allowed).map((method) => ({ method, ...holdoutScore(method, y, size) }));
  const candidates: CandidateScore[] = scored.map((c) => ({ method: c.method, holdoutRmse: c.score }));
  let best = scored[0]!;
  for (const c of scored) {
    if (c.score !== null && (best.score === null || c.score < best.score)) best = c;
  }
  const model = best.fitAll() ?? fitMethod('ses', y)!;
  return { model: widened(model, best.score), candidates };
}

/** Widest inflation of the simulated errors. */
const MAX_ERROR_SCALE = 1.5;

/**
 * Scale a smoothing model's errors by how much worse it did out of sample
 * than in sample (at most 1.5×); other models are returned as they are.
 *
 * @example
 * ```ts
 * const model = widened(fitMethod('holt-winters', sales)!, 4.2);
 * ```
 */
export function widened(model: FittedDemandModel, holdoutRmse: number | null): FittedDemandModel {
  if (!(model instanceof SmoothingModel) || holdoutRmse === null) return model;
  const inSample = model.inSampleRmse();
  if (inSample <= 0) return model;
  const factor = Math.min(MAX_ERROR_SCALE, holdoutRmse / inSample);
  return factor > 1 ? model.withErrorScale(factor) : model;
}
