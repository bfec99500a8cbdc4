/**
 * How sure the forecast can be of a live spike's fade. A least-squares fit
 * of `E·e^(−r·t)` to a few days after a shock picks one rate, but three or
 * five noisy days barely tell a 3-day half-life from a 14-day one, and over
 * a 30-day horizon those are very different futures. Paths drawn from the
 * one fitted curve made the interval after a shock far too narrow (PIT
 * coverage 0.3–0.5 in the first week). So the rate, the height and the
 * noise are given a posterior, and each simulated future draws its own.
 *
 * The model, for the excess `e_i` over the baseline on the days from its
 * peak (`τ_i ≤ 0`, the last day 0):
 * `e_i = E·e^(−r·τ_i) + ε_i`, `ε_i ~ N(0, σ²·V(ℓ_i))` with `ℓ_i` the
 * day's expected level (baseline plus least-squares excess) and
 * `V(μ) = μ + ω·μ²` the negative-binomial variance, its extra-Poisson part
 * `ω` measured on the history before the spike ({@link extraPoissonVariance}):
 * a count's variance grows with its level, faster than linearly when
 * demand itself wobbles, so the noise of a spike's peak days does not carry
 * over unchanged to its faded tail. A flat prior on `E`, a scaled-inverse-χ²
 * prior on `σ²` (scale 1, a week's worth: as noisy as the history said
 * until the spike's own days say otherwise), and a log-normal prior on
 * the half-life `ln 2 / r` around a week (the assumption the point fit makes
 * with fewer than three days), read on a log grid from 1 to 180 days.
 * With `E` and `σ²` integrated out, each grid rate's posterior weight is
 * `prior · S_xx^(−½) · (ν₀s₀² + SSE)^(−(ν₀+n−1)/2)` (Gelman et al.,
 * *Bayesian Data Analysis*, 3rd ed., §14.2, the normal linear model with
 * one coefficient per rate).
 */
import { standardNormal, type RandomSource } from './random.js';

/** Half-life grid (days): log-spaced from 1 to 180. */
const HALF_LIVES = Array.from({ length: 48 }, (_, k) => Math.exp((k / 47) * Math.log(180)));
/** Prior on the half-life: log-normal, median a week, σ = 1 in log days (80 % in 2–25 days). */
const PRIOR_MEDIAN_DAYS = 7;
const PRIOR_LOG_SD = 1;
/** Degrees of freedom of the noise scale's prior: a week's worth of days (ω itself was measured on eight weeks). */
const PRIOR_DOF = 7;

/** One rate of the grid with its posterior weight and what it implies for the height and noise. */
export interface SpikeFade {
  decayPerDay: number;
  /** Posterior probability of this rate (the weights sum to 1). */
  weight: number;
  /** Posterior mean of the excess on the last observed day, given this rate. */
  height: number;
  /** `S_xx`: the height's posterior variance is `σ² / S_xx`. */
  information: number;
  /** Posterior of `σ²` given this rate: scaled inverse χ² with `dof` and `scale`. */
  dof: number;
  scale: number;
}

/** A draw of one future's fade: rate, height and noise scale `σ²`. */
export interface SpikeFadeDraw {
  decayPerDay: number;
  height: number;
  noiseScale: number;
}

/**
 * The negative-binomial variance `μ + ω·μ²` of a count with mean `μ` and
 * extra-Poisson variance `ω` (0: Poisson).
 */
export function countVariance(mean: number, extraPoisson: number): number {
  const m = Math.max(0, mean);
  return m + extraPoisson * m * m;
}

/**
 * The posterior over the fade of an excess, given the days from its peak
 * (`excess`), each day's expected level (baseline plus the least-squares
 * excess, for the noise weights) and the extra-Poisson variance `ω` the
 * history before the spike shows.
 *
 * @example
 * ```ts
 * const fades = spikeFadePosterior([40, 30, 22, 17], [50, 40, 33, 27], 0.03);
 * fades.reduce((a, f) => a + f.weight, 0) // 1
 * ```
 */
export function spikeFadePosterior(
  excess: readonly number[],
  level: readonly number[],
  extraPoisson: number,
): SpikeFade[] {
  return spikeFadeFit(excess, level, extraPoisson).fades;
}

/**
 * {@link spikeFadePosterior} with the log evidence of the fade model: the log
 * marginal likelihood of the excess (up to the constants every model with one
 * flat-prior height and this noise prior shares, so evidences of such models
 * on the same days compare), the prior over the rates normalised on the grid.
 *
 * @example
 * ```ts
 * const { fades, logEvidence } = spikeFadeFit([40, 30, 22, 17], [50, 40, 33, 27], 0.03);
 * ```
 */
export function spikeFadeFit(
  excess: readonly number[],
  level: readonly number[],
  extraPoisson: number,
): { fades: SpikeFade[]; logEvidence: number } {
  const n = excess.length;
  if (n === 0) return { fades: [], logEvidence: 0 };
  const last = n - 1;
  const weights = level.map((l) => 1 / Math.max(1, countVariance(l, extraPoisson)));
  const dof = PRIOR_DOF + n - 1;
  const fades = HALF_LIVES.map((halfLife) => {
    const rate = Math.LN2 / halfLife;
    let sxx = 0;
    let sxy = 0;
    excess.forEach((e, i) => {
      const x = Math.exp(-rate * (i - last));
      sxx += weights[i]! * x * x;
      sxy += weights[i]! * x * e;
    });
    const height = sxy / sxx;
    let sse = 0;
    excess.forEach((e, i) => (sse += weights[i]! * (e - height * Math.exp(-rate * (i - last))) ** 2));
    const z = Math.log(halfLife / PRIOR_MEDIAN_DAYS) / PRIOR_LOG_SD;
    const spread = PRIOR_DOF + sse;
    const logWeight = -0.5 * z * z - 0.5 * Math.log(sxx) - (dof / 2) * Math.log(spread);
    return { decayPerDay: rate, weight: logWeight, height, information: sxx, dof, scale: spread / dof };
  });
  const top = Math.max(...fades.map((f) => f.weight));
  let total = 0;
  for (const f of fades) total += f.weight = Math.exp(f.weight - top);
  for (const f of fades) f.weight /= total;
  return { fades, logEvidence: top + Math.log(total) - LOG_PRIOR_MASS };
}

/** Log of the rate prior's mass on the grid (its normalising constant). */
const LOG_PRIOR_MASS = Math.log(
  HALF_LIVES.reduce(
    (sum, h) => sum + Math.exp(-0.5 * (Math.log(h / PRIOR_MEDIAN_DAYS) / PRIOR_LOG_SD) ** 2),
    0,
  ),
);

/**
 * The log marginal likelihood of `excess ≈ E·shape` (flat prior on `E`, the
 * noise prior of {@link spikeFadePosterior}, the same weights), with the
 * posterior of `E` and `σ²`: the evidence of one fixed shape, comparable
 * with {@link spikeFadeFit}'s on the same days.
 *
 * @example
 * ```ts
 * shapeFit([40, 30, 22], [1.8, 1.3, 1], [0.02, 0.025, 0.03]).height // ≈ 22
 * ```
 */
export function shapeFit(
  excess: readonly number[],
  shape: readonly number[],
  weights: readonly number[],
): { height: number; information: number; dof: number; scale: number; logEvidence: number } {
  let sxx = 0;
  let sxy = 0;
  excess.forEach((e, i) => {
    sxx += weights[i]! * shape[i]! * shape[i]!;
    sxy += weights[i]! * shape[i]! * e;
  });
  const height = sxy / sxx;
  let sse = 0;
  excess.forEach((e, i) => (sse += weights[i]! * (e - height * shape[i]!) ** 2));
  const dof = PRIOR_DOF + excess.length - 1;
  const spread = PRIOR_DOF + sse;
  return {
    height,
    information: sxx,
    dof,
    scale: spread / dof,
    logEvidence: -0.5 * Math.log(sxx) - (dof / 2) * Math.log(spread),
  };
}

/**
 * The noise weights {@link spikeFadePosterior} gives each day: one over the count variance of its level.
 *
 * @example
 * ```ts
 * fadeWeights([50, 40], 0) // [0.02, 0.025]
 * ```
 */
export function fadeWeights(level: readonly number[], extraPoisson: number): number[] {
  return level.map((l) => 1 / Math.max(1, countVariance(l, extraPoisson)));
}

/** The posterior mean of the excess `h` days after the last observed day (heights below zero count as zero). */
export function meanFadedExcess(fades: readonly SpikeFade[], h: number): number {
  let sum = 0;
  for (const f of fades) sum += f.weight * Math.max(0, f.height) * Math.exp(-f.decayPerDay * h);
  return sum;
}

/** χ²_ν by the Wilson–Hilferty cube (close for ν ≥ 2, and cheap). */
function chiSquare(rng: RandomSource, dof: number): number {
  const c = 2 / (9 * dof);
  return dof * Math.max(1e-3, 1 - c + Math.sqrt(c) * standardNormal(rng)) ** 3;
}

/**
 * One future's fade from the posterior: a rate by its weight, then `σ²`
 * and the height given that rate (a height below zero is no excess).
 */
export function drawFade(rng: RandomSource, fades: readonly SpikeFade[]): SpikeFadeDraw {
  if (fades.length === 0) return { decayPerDay: 0, height: 0, noiseScale: 0 };
  let u = rng();
  let chosen = fades[fades.length - 1]!;
  for (const f of fades) {
    u -= f.weight;
    if (u < 0) {
      chosen = f;
      break;
    }
  }
  return { decayPerDay: chosen.decayPerDay, ...drawHeight(rng, chosen) };
}

/** The height's posterior spread and the noise's: what a height fit needs to be drawn from. */
export type HeightPosterior = Pick<SpikeFade, 'height' | 'information' | 'dof' | 'scale'>;

/**
 * `σ²` from its scaled inverse χ², then the height given it (a height below zero is no excess).
 *
 * @example
 * ```ts
 * drawHeight(seededRandom(1), fades[0]!) // { height, noiseScale } of one future
 * ```
 */
export function drawHeight(rng: RandomSource, fit: HeightPosterior): { height: number; noiseScale: number } {
  const noiseScale = (fit.dof * fit.scale) / chiSquare(rng, fit.dof);
  const height = fit.height + Math.sqrt(noiseScale / fit.information) * standardNormal(rng);
  return { height: Math.max(0, height), noiseScale };
}

/**
 * The extra-Poisson variance `ω` of a history (0 for Poisson sales), from
 * its week-apart differences over the last eight weeks: `Var(y_t − y_{t−7})
 * = 2·Var(y)` whatever the weekly pattern, and `Var(y) = μ + ω·μ²`.
 *
 * @example
 * ```ts
 * extraPoissonVariance(preSpikeSales) // ≈ 0 for Poisson sales, 1/30 for a gamma(30)-mixed Poisson
 * ```
 */
export function extraPoissonVariance(history: readonly number[]): number {
  const days = history.slice(-8 * 7);
  let squares = 0;
  let level = 0;
  let pairs = 0;
  for (let t = 7; t < days.length; t++) {
    squares += (days[t]! - days[t - 7]!) ** 2;
    level += days[t]!;
    pairs++;
  }
  const mean = level / Math.max(1, pairs);
  if (pairs === 0 || mean <= 0) return 0;
  return Math.max(0, squares / pairs / 2 - mean) / (mean * mean);
}
