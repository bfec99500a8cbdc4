/**
 * Demand after a confirmed spike: the product's pre-spike model carries the
 * baseline, and the excess over it decays exponentially at a rate fitted to
 * the days since onset (viral attention fades; a permanent shift fits a rate
 * near zero). This keeps the spike in the forecast instead of letting a
 * slow-moving level average it away, and lets it fade as it actually fades.
 */
import type { FittedDemandModel, ForecastMethod } from './demand-model.js';
import {
  drawDrivenExcess,
  fitMentionsDriver,
  meanDrivenExcess,
  type MentionsDriver,
  type MentionsExcess,
} from './mentions-driver.js';
import { standardNormal, type RandomSource } from './random.js';
import {
  countVariance,
  drawFade,
  fadeWeights,
  meanFadedExcess,
  spikeFadeFit,
  type SpikeFade,
} from './spike-fade-posterior.js';

/** Decay per day assumed with fewer than three days since onset (half-life a week). */
const DEFAULT_DECAY = Math.LN2 / 7;
const MAX_DECAY = 0.7;
const GRID_STEP = 0.01;

/** How the excess over the baseline was fitted. */
export interface SpikeDecay {
  /** Excess units/day over the baseline on the last observed day. */
  excess: number;
  /** Exponential decay rate per day. */
  decayPerDay: number;
  /** Residuals of the fit in units of `√max(1, fitted)` (a count's spread). */
  residuals: number[];
  /**
   * The posterior over the fade (rate, height and noise; `spike-fade-posterior.ts`):
   * each simulated future draws its own, so the interval carries how little
   * a few days after a shock say about how fast it fades.
   */
  fades: SpikeFade[];
  /** The extra-Poisson variance `ω` the noise was weighed with ({@link SpikeNoise}). */
  extraPoisson: number;
  /**
   * With mentions: the sales excess regressed on the mentions' shape, and
   * how far it is trusted against {@link fades} (`mentions-driver.ts`).
   */
  driver?: MentionsDriver;
}

/** What the spike's noise is measured against (both optional). */
export interface SpikeNoise {
  /** The baseline's expected units on each day of `since` (a count's spread grows with the day's whole level). */
  baseline?: readonly number[];
  /**
   * Extra-Poisson variance `ω` of the sales before the spike (variance `μ + ω·μ²`;
   * default 0, Poisson): how the noise grows with the level.
   */
  extraPoisson?: number;
}

/** For a decay rate, the least-squares height and the squared error of excess ≈ E·e^(−r·(t−last)). */
function profile(excess: readonly number[], rate: number): { height: number; sse: number } {
  const last = excess.length - 1;
  let sxy = 0;
  let sxx = 0;
  excess.forEach((e, i) => {
    const w = Math.exp(-rate * (i - last));
    sxy += e * w;
    sxx += w * w;
  });
  const height = Math.max(0, sxy / sxx);
  let sse = 0;
  excess.forEach((e, i) => (sse += (e - height * Math.exp(-rate * (i - last))) ** 2));
  return { height, sse };
}

/** Golden-section search of the decay rate on [low, high]. */
function refine(excess: readonly number[], low: number, high: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = low;
  let b = high;
  for (let k = 0; k < 60; k++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (profile(excess, c).sse <= profile(excess, d).sse) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

/**
 * Fit excess_t ≈ E·e^(−r·(t−last)) to the days from the excess's peak by
 * least squares on the units themselves (a grid over r, refined by golden section; E in
 * closed form). Fitting on the units rather than their logarithm keeps a
 * weak onset day or a noisy one from dragging the curve: the log fit turned
 * an onset day near zero into a growing excess, clamped to a permanent one.
 *
 * @example
 * ```ts
 * fitSpikeDecay([40, 30, 22, 17]).decayPerDay // ≈ 0.29
 * ```
 */
export function fitSpikeDecay(
  since: readonly number[],
  noise: SpikeNoise = {},
  mentions?: MentionsExcess,
): SpikeDecay {
  // The decay starts at the peak: the days of the rise (an onset flagged by
  // mentions a day before sales move, a shock building over two days) are
  // not part of it.
  const peak = since.reduce((best, e, i) => (e > since[best]! ? i : best), 0);
  const excess = since.slice(peak);
  const n = excess.length;
  // The expected total of each day from the peak (baseline + fitted excess): a count's spread grows with it.
  const level = (height: number, rate: number) =>
    excess.map((_, i) => (noise.baseline?.[peak + i] ?? 0) + height * Math.exp(-rate * (i - (n - 1))));
  const extraPoisson = noise.extraPoisson ?? 0;
  // The sales' own fade, and (with mentions) the mentions' shape, weighed on the same days and weights.
  const posterior = (levels: readonly number[]) => {
    const { fades, logEvidence } = spikeFadeFit(excess, levels, extraPoisson);
    const weights = fadeWeights(levels, extraPoisson);
    const driver = mentions && fitMentionsDriver(excess, peak, weights, logEvidence, mentions);
    return driver ? { fades, extraPoisson, driver } : { fades, extraPoisson };
  };
  if (n < 3) {
    const height = n > 0 ? profile(excess, DEFAULT_DECAY).height : 0;
    return {
      excess: height,
      decayPerDay: DEFAULT_DECAY,
      residuals: [0],
      ...posterior(level(height, DEFAULT_DECAY)),
    };
  }
  let best = 0;
  for (let r = 0; r <= MAX_DECAY + 1e-9; r += GRID_STEP) {
    if (profile(excess, r).sse < profile(excess, best).sse) best = r;
  }
  const decayPerDay = refine(excess, Math.max(0, best - GRID_STEP), Math.min(MAX_DECAY, best + GRID_STEP));
  const { height } = profile(excess, decayPerDay);
  const residuals = excess.map((e, i) => {
    const fitted = height * Math.exp(-decayPerDay * (i - (n - 1)));
    return (e - fitted) / Math.sqrt(Math.max(1, fitted));
  });
  return { excess: height, decayPerDay, residuals, ...posterior(level(height, decayPerDay)) };
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
      ...(decay.driver ? { mentionsDriverWeight: decay.driver.probability } : {}),
    };
  }

  /** The posterior mean excess `h` days ahead: the fade's, mixed with the mentions driver's when there is one. */
  #meanExcess(h: number): number {
    const faded = meanFadedExcess(this.#decay.fades, h);
    const driver = this.#decay.driver;
    if (!driver) return faded;
    return (1 - driver.probability) * faded + driver.probability * meanDrivenExcess(driver, h);
  }

  /** One future's excess curve and noise scale, from the fade or (with its probability) the driver. */
  #drawExcess(rng: RandomSource): { excessAt: (h: number) => number; noiseScale: number } {
    const driver = this.#decay.driver;
    if (driver && rng() < driver.probability) return drawDrivenExcess(rng, driver);
    const fade = drawFade(rng, this.#decay.fades);
    return {
      excessAt: (h) => fade.height * Math.exp(-fade.decayPerDay * h),
      noiseScale: fade.noiseScale,
    };
  }

  /** The posterior mean: the fitted curves averaged by how well each rate explains the days since the peak. */
  forecastMean(horizon: number): number[] {
    const base = this.#baseline.forecastMean(this.#lead + horizon).slice(this.#lead);
    return base.map((b, i) => b + this.#meanExcess(i + 1));
  }

  /** A future with its own fade (rate, height, noise) drawn from the posterior, on a baseline path. */
  simulatePath(rng: RandomSource, horizon: number): number[] {
    const drawn = this.#drawExcess(rng);
    const base = this.#baseline.simulatePath(rng, this.#lead + horizon).slice(this.#lead);
    return base.map((b, i) => {
      const excess = drawn.excessAt(i + 1);
      // The baseline path already carries the baseline's noise: add what the excess adds to the day's variance.
      const omega = this.#decay.extraPoisson;
      const added = countVariance(b + excess, omega) - countVariance(b, omega);
      return Math.max(0, b + excess + Math.sqrt(drawn.noiseScale * added) * standardNormal(rng));
    });
  }

  seasonalOffsets(): number[] {
    const offsets = this.#baseline.seasonalOffsets();
    const shift = this.#lead % offsets.length;
    return [...offsets.slice(shift), ...offsets.slice(0, shift)];
  }
}
