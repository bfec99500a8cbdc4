/**
 * Intermittent-demand methods for products that sell on few days:
 *
 * - Croston (1972), "Forecasting and stock control for intermittent demands",
 *   Operational Research Quarterly 23(3): smooth the non-zero demand sizes z
 *   and the intervals p between them separately, updating only on demand days;
 *   the rate is z / p.
 * - SBA, Syntetos & Boylan (2005), International Journal of Forecasting 21(2):
 *   Croston's rate is biased upward; multiply it by (1 − α/2).
 * - TSB, Teunter, Syntetos & Babai (2011), European Journal of Operational
 *   Research 214(3): smooth the demand probability d every period (so an item
 *   that stopped selling fades out) and the size z on demand days; rate d·z.
 *
 * Initialisation follows R's `forecast::croston` (Shenstone & Hyndman 2005):
 * the first size is the first non-zero demand, the first interval the number
 * of periods up to and including it.
 */
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import { WEEK } from './exponential-smoothing.js';
import { pick, type RandomSource } from './random.js';
import { mean } from './statistics.js';

/** Croston/SBA states after a series. */
export interface CrostonState {
  /** Smoothed non-zero demand size. */
  size: number;
  /** Smoothed interval between demands, in periods. */
  interval: number;
  /** One-step forecasts z/p made before each period (NaN before the first demand). */
  fitted: number[];
}

/**
 * Croston's recursions: on a demand day, z ← z + α(y − z) and p ← p + β(q − p)
 * where q is the periods since the previous demand; β (`intervalAlpha`) is α
 * unless given (R's `forecast::croston` uses one constant, Syntetos & Boylan
 * and other implementations allow two). Null without any demand.
 *
 * @example
 * ```ts
 * const s = crostonStates([0, 0, 5, 0, 3], 0.1)!;
 * s.size / s.interval // Croston's rate per period
 * ```
 */
export function crostonStates(
  y: readonly number[],
  alpha: number,
  intervalAlpha: number = alpha,
): CrostonState | null {
  const first = y.findIndex((v) => v > 0);
  if (first < 0) return null;
  let size = y[first]!;
  let interval = first + 1;
  let since = 0;
  const fitted = new Array<number>(y.length).fill(Number.NaN);
  for (let t = first + 1; t < y.length; t++) {
    fitted[t] = size / interval;
    since++;
    if (y[t]! > 0) {
      size += alpha * (y[t]! - size);
      interval += intervalAlpha * (since - interval);
      since = 0;
    }
  }
  return { size, interval, fitted };
}

/**
 * SBA (Syntetos & Boylan 2005): Croston's states with the rate and every
 * one-step forecast multiplied by 1 − β/2, β the interval's smoothing
 * constant (the bias comes from smoothing the intervals). Null without any demand.
 *
 * @example
 * ```ts
 * sbaStates([0, 0, 3, 0, 4, 0, 0, 0, 2, 0], 0.5, 0.2)!.rate // 0.8141447
 * ```
 */
export function sbaStates(
  y: readonly number[],
  alpha: number,
  intervalAlpha: number = alpha,
): (CrostonState & { rate: number }) | null {
  const state = crostonStates(y, alpha, intervalAlpha);
  if (!state) return null;
  const factor = 1 - intervalAlpha / 2;
  return {
    ...state,
    fitted: state.fitted.map((f) => factor * f),
    rate: factor * (state.size / state.interval),
  };
}

/** TSB states after a series. */
export interface TsbState {
  probability: number;
  size: number;
  fitted: number[];
}

/** TSB's states before the first period, when the caller knows them. */
export interface TsbStart {
  probability: number;
  size: number;
}

/**
 * TSB's recursions: every period d ← d + β(1[y>0] − d); on demand days
 * z ← z + α(y − z). By default they start after the first demand, from
 * z = that demand and d = 1 / (periods up to and including it); with `start`
 * they run from the first period on (as published examples initialise them).
 * Null without any demand.
 *
 * @example
 * ```ts
 * const s = tsbStates([0, 4, 0, 0, 4], 0.1, 0.1)!;
 * s.probability * s.size // TSB's rate per period
 * ```
 */
export function tsbStates(
  y: readonly number[],
  alpha: number,
  beta: number,
  start?: TsbStart,
): TsbState | null {
  const first = y.findIndex((v) => v > 0);
  if (first < 0) return null;
  let size = start ? start.size : y[first]!;
  let probability = start ? start.probability : 1 / (first + 1);
  const fitted = new Array<number>(y.length).fill(Number.NaN);
  for (let t = start ? 0 : first + 1; t < y.length; t++) {
    fitted[t] = probability * size;
    const occurred = y[t]! > 0 ? 1 : 0;
    probability += beta * (occurred - probability);
    if (occurred) size += alpha * (y[t]! - size);
  }
  return { probability, size, fitted };
}

/**
 * An intermittent model: a flat rate, with sample paths drawn as
 * "does it sell today?" (Bernoulli) times a size resampled from the product's
 * own recent demand sizes, scaled so the path mean equals the rate. Made by
 * {@link fitSba} and {@link fitTsb}.
 *
 * @example
 * ```ts
 * const model = fitTsb(sales);
 * model?.forecastMean(7) // seven equal daily rates
 * ```
 */
export class IntermittentModel implements FittedDemandModel {
  readonly method: ForecastMethod;
  readonly parameters: Readonly<Record<string, number>>;
  readonly #rate: number;
  readonly #probability: number;
  readonly #sizes: number[];

  constructor(
    method: ForecastMethod,
    parameters: Record<string, number>,
    rate: number,
    probability: number,
    y: readonly number[],
  ) {
    this.method = method;
    this.parameters = parameters;
    this.#rate = rate;
    this.#probability = Math.min(1, Math.max(0, probability));
    const sizes = y.filter((v) => v > 0).slice(-100);
    const scale = this.#probability > 0 && sizes.length > 0 ? rate / (this.#probability * mean(sizes)) : 0;
    this.#sizes = sizes.length > 0 ? sizes.map((s) => s * scale) : [0];
  }

  forecastMean(horizon: number): number[] {
    return new Array<number>(horizon).fill(this.#rate);
  }

  simulatePath(rng: RandomSource, horizon: number): number[] {
    const out: number[] = [];
    for (let h = 0; h < horizon; h++) out.push(rng() < this.#probability ? pick(rng, this.#sizes) : 0);
    return out;
  }

  seasonalOffsets(): number[] {
    return new Array<number>(WEEK).fill(0);
  }
}

const INTERMITTENT_ALPHAS = [0.05, 0.1, 0.2, 0.3];

function squaredError(y: readonly number[], fitted: readonly number[]): number {
  let sse = 0;
  for (let t = 0; t < y.length; t++) if (!Number.isNaN(fitted[t]!)) sse += (y[t]! - fitted[t]!) ** 2;
  return sse;
}

/**
 * Fit SBA (Croston with the Syntetos–Boylan correction), α from a grid by
 * in-sample squared error. Null without any demand.
 *
 * @example
 * ```ts
 * fitSba([0, 0, 3, 0, 0, 0, 2])?.forecastMean(1)
 * ```
 */
export function fitSba(y: readonly number[]): IntermittentModel | null {
  let best: { alpha: number; state: CrostonState; sse: number } | null = null;
  for (const alpha of INTERMITTENT_ALPHAS) {
    const state = crostonStates(y, alpha);
    if (!state) return null;
    const sse = squaredError(y, state.fitted);
    if (best === null || sse < best.sse) best = { alpha, state, sse };
  }
  const { alpha, state } = best!;
  const { rate } = sbaStates(y, alpha)!;
  return new IntermittentModel('croston-sba', { alpha }, rate, 1 / state.interval, y);
}

/**
 * Fit TSB, α and β from a grid by in-sample squared error. Null without any demand.
 *
 * @example
 * ```ts
 * fitTsb([0, 4, 0, 0, 4, 0, 0])?.forecastMean(1)
 * ```
 */
export function fitTsb(y: readonly number[]): IntermittentModel | null {
  let best: { alpha: number; beta: number; state: TsbState; sse: number } | null = null;
  for (const alpha of INTERMITTENT_ALPHAS) {
    for (const beta of INTERMITTENT_ALPHAS) {
      const state = tsbStates(y, alpha, beta);
      if (!state) return null;
      const sse = squaredError(y, state.fitted);
      if (best === null || sse < best.sse) best = { alpha, beta, state, sse };
    }
  }
  const { alpha, beta, state } = best!;
  return new IntermittentModel('tsb', { alpha, beta }, state.probability * state.size, state.probability, y);
}
