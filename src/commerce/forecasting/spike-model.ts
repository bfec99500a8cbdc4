/**
 * Demand after a confirmed spike: the product's pre-spike model carries the
 * baseline, and the excess over it decays exponentially at a rate fitted to
 * the days since onset (viral attention fades; a permanent shift fits a rate
 * near zero). This keeps the spike in the forecast instead of letting a
 * slow-moving level average it away, and lets it fade as it actually fades.
 */
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import { pick, type RandomSource } from './random.js';
import { mean } from './statistics.js';

/** Decay per day assumed with fewer than three days since onset (half-life a week). */
const DEFAULT_DECAY = Math.LN2 / 7;
const MAX_DECAY = 0.7;

/** How the excess over the baseline was fitted. */
export interface SpikeDecay {
  /** Excess units/day over the baseline on the last observed day. */
  excess: number;
  /** Exponential decay rate per day. */
  decayPerDay: number;
  /** Log-scale residuals of the fit, resampled for sample paths. */
  logResiduals: number[];
}

/**
 * Fit excess_t ≈ E·e^(−r·(t−last)) to the days since onset by least squares
 * on log(excess).
 *
 * @example
 * ```ts
 * fitSpikeDecay([40, 30, 22, 17]).decayPerDay // ≈ 0.29
 * ```
 */
export function fitSpikeDecay(excess: readonly number[]): SpikeDecay {
  const logs = excess.map((e) => Math.log(Math.max(e, 0.5)));
  const n = logs.length;
  if (n < 3) {
    return { excess: Math.max(0, mean(excess)), decayPerDay: DEFAULT_DECAY, logResiduals: [0] };
  }
  const xs = logs.map((_, i) => i - (n - 1));
  const mx = mean(xs);
  const my = mean(logs);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (logs[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const decayPerDay = Math.min(MAX_DECAY, Math.max(0, -slope));
  const intercept = my + decayPerDay * mx;
  const logResiduals = logs.map((l, i) => l - (intercept - decayPerDay * xs[i]!));
  return { excess: Math.exp(intercept), decayPerDay, logResiduals };
}

/**
 * Baseline plus decaying excess. `baselineLead` is how many days the baseline
 * model must be run forward to reach the first forecast day (the days since
 * onset, which it did not see).
 */
export class SpikeAdjustedModel implements FittedDemandModel {
  readonly method: ForecastMethod;
  readonly parameters: Readonly<Record<string, number>>;
  readonly #baseline: FittedDemandModel;
  readonly #lead: number;
  readonly #decay: SpikeDecay;

  constructor(baseline: FittedDemandModel, baselineLead: number, decay: SpikeDecay) {
    this.method = baseline.method;
    this.#baseline = baseline;
    this.#lead = baselineLead;
    this.#decay = decay;
    this.parameters = {
      ...baseline.parameters,
      spikeExcess: decay.excess,
      spikeDecayPerDay: decay.decayPerDay,
    };
  }

  #excessAt(h: number): number {
    return this.#decay.excess * Math.exp(-this.#decay.decayPerDay * h);
  }

  forecastMean(horizon: number): number[] {
    const base = this.#baseline.forecastMean(this.#lead + horizon).slice(this.#lead);
    return base.map((b, i) => b + this.#excessAt(i + 1));
  }

  simulatePath(rng: RandomSource, horizon: number): number[] {
    const base = this.#baseline.simulatePath(rng, this.#lead + horizon).slice(this.#lead);
    return base.map((b, i) => b + this.#excessAt(i + 1) * Math.exp(pick(rng, this.#decay.logResiduals)));
  }

  seasonalOffsets(): number[] {
    const offsets = this.#baseline.seasonalOffsets();
    const shift = this.#lead % offsets.length;
    return [...offsets.slice(shift), ...offsets.slice(0, shift)];
  }
}
