/**
 * Choose a product's forecasting method by out-of-sample error: every
 * candidate is fitted on the history up to two earlier origins and scored on
 * the days that followed (rolling origin, fpp3 §5.10); the lowest root mean
 * squared error wins and is refitted on the whole history.
 */
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import { fitSmoothing, SmoothingModel, WEEK } from './exponential-smoothing.js';
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

function holdoutScore(method: ForecastMethod, y: readonly number[], window: number): number | null {
  let total = 0;
  let scored = 0;
  for (const back of [3 * window, 2 * window, window]) {
    const origin = y.length - back;
    if (origin < 2 * WEEK) continue;
    const model = fitMethod(method, y.slice(0, origin));
    if (!model) continue;
    total += rootMeanSquaredError(y.slice(origin, origin + window), model.forecastMean(window));
    scored++;
  }
  return scored > 0 ? total / scored : null;
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
  const candidates = candidateMethods(y, allowed).map((method) => ({
    method,
    holdoutRmse: holdoutScore(method, y, size),
  }));
  let best = candidates[0]!;
  for (const c of candidates) {
    if (c.holdoutRmse !== null && (best.holdoutRmse === null || c.holdoutRmse < best.holdoutRmse)) best = c;
  }
  const model = fitMethod(best.method, y) ?? fitMethod('ses', y)!;
  return { model: widened(model, best.holdoutRmse), candidates };
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
