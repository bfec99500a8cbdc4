/**
 * Mentions as a driver of a live spike's excess. After a shock, the sales
 * excess over the baseline follows the talk about the product a day or so
 * later: `e_t = β·m_{t−L} + ε_t` with `m` the mentions over their pre-onset
 * level. Mentions are many and their own fade is measured far more sharply
 * than the sales' (hundreds of mentions a day against tens of units), and
 * the mention of today is the sale of tomorrow: with a lag of one day the
 * first forecast day's excess is already observed in the mentions.
 *
 * The excess is written `e_i = E·s_i` with the shape `s_i = m_{i−L} / m_{T−L}`
 * (1 on the last sales day `T`), so `E` is the same "excess on the last day"
 * the sales' own fade fits (`spike-fade-posterior.ts`), with the same flat
 * prior, noise prior and weights: the evidence of each lag `L ∈ {0, 1, 2}`
 * (uniform prior) and that of the fade compare directly, and the forecast
 * mixes the two models by their posterior probability (prior ½ each). With
 * one day from the peak both fit exactly and the mixture is half and half;
 * each later day moves it towards the model that explains the days better.
 * So the sales' own history decides how much the mentions are trusted, and
 * a product whose sales do not follow its mentions keeps the fade.
 *
 * Beyond the last mention (`h > L` days ahead) the shape is extrapolated by
 * the mentions' own fade posterior (the same machinery, on the mentions'
 * excess from their peak): each simulated future draws its own mentions
 * fade as well as its own `E` and `σ²`, so the interval carries both.
 */
import type { RandomSource } from './random.js';
import {
  drawFade,
  drawHeight,
  meanFadedExcess,
  shapeFit,
  type HeightPosterior,
  type SpikeFade,
} from './spike-fade-posterior.js';

/** Longest lag of sales behind mentions tried (days). */
export const MAX_MENTIONS_LAG = 2;

/** Mentions around a spike, as the driver needs them. */
export interface MentionsExcess {
  /**
   * Mentions minus their pre-onset level, from `MAX_MENTIONS_LAG` (2) days
   * before the spike's onset to the last observed day.
   */
  excess: readonly number[];
  /** A mention excess below this on the last regressor day carries no shape (noise). */
  noiseFloor: number;
  /** The mentions' own fade from their peak (its last day is the last observed day). */
  fades: readonly SpikeFade[];
}

/** One lag's fit of the sales excess on the mentions' shape. */
export interface MentionsLagFit extends HeightPosterior {
  lag: number;
  /** Posterior probability of this lag given the driver. */
  weight: number;
  /** Mentions excess on the regressor day of the last sales day (the shape's 1). */
  anchor: number;
}

/** The driver's posterior: how much it is trusted, and its fits. */
export interface MentionsDriver {
  /** Posterior probability that the mentions shape the excess, against the sales' own fade. */
  probability: number;
  fits: MentionsLagFit[];
  mentions: MentionsExcess;
}

/** Mentions excess `h` days after the last observed day: observed up to it, else the fade (mean, or one drawn). */
function mentionsAhead(
  mentions: MentionsExcess,
  fit: MentionsLagFit,
  h: number,
  faded: (days: number) => number,
): number {
  const last = mentions.excess.length - 1;
  const at = last - fit.lag + h;
  return at <= last ? mentions.excess[at]! : faded(at - last);
}

/**
 * Fit the driver to the sales excess from its peak, or null when the mentions
 * are not clearly raised on the last regressor day of any lag.
 *
 * @param salesFromPeak the sales excess from its peak to the last day
 * @param peak the peak's index in the days since onset
 * @param weights each of those days' noise weight (as the fade's)
 * @param fadeLogEvidence the sales' own fade's log evidence on the same days
 *
 * @example
 * ```ts
 * const driver = fitMentionsDriver(excess, 1, weights, fade.logEvidence, mentions);
 * driver?.probability // near 1 when the sales follow the mentions
 * ```
 */
export function fitMentionsDriver(
  salesFromPeak: readonly number[],
  peak: number,
  weights: readonly number[],
  fadeLogEvidence: number,
  mentions: MentionsExcess,
): MentionsDriver | null {
  const n = salesFromPeak.length;
  if (n === 0) return null;
  const fits: Array<MentionsLagFit & { logEvidence: number }> = [];
  for (let lag = 0; lag <= MAX_MENTIONS_LAG; lag++) {
    // Sales day i (since onset) is mentions index i + MAX_MENTIONS_LAG; its regressor lag days before.
    const regressor = (i: number) => mentions.excess[i + MAX_MENTIONS_LAG - lag] ?? 0;
    const anchor = regressor(peak + n - 1);
    if (!(anchor > mentions.noiseFloor)) continue;
    const shape = salesFromPeak.map((_, i) => regressor(peak + i) / anchor);
    const fit = shapeFit(salesFromPeak, shape, weights);
    fits.push({ lag, weight: fit.logEvidence, anchor, ...fit });
  }
  if (fits.length === 0) return null;
  const top = Math.max(...fits.map((f) => f.logEvidence));
  let total = 0;
  for (const f of fits) total += f.weight = Math.exp(f.logEvidence - top);
  for (const f of fits) f.weight /= total;
  // Uniform prior over the lags tried, ½ on the driver against the fade.
  const logEvidence = top + Math.log(total / (MAX_MENTIONS_LAG + 1));
  const probability = 1 / (1 + Math.exp(fadeLogEvidence - logEvidence));
  return {
    probability,
    fits: fits.map(({ logEvidence: _, ...f }) => f),
    mentions,
  };
}

/**
 * The driver's posterior mean excess `h` days after the last observed day.
 *
 * @example
 * ```ts
 * meanDrivenExcess(driver, 1) // β̂ times today's mentions excess, for a one-day lag
 * ```
 */
export function meanDrivenExcess(driver: MentionsDriver, h: number): number {
  let sum = 0;
  for (const f of driver.fits) {
    const ahead = mentionsAhead(driver.mentions, f, h, (d) => meanFadedExcess(driver.mentions.fades, d));
    sum += (f.weight * Math.max(0, f.height) * Math.max(0, ahead)) / f.anchor;
  }
  return sum;
}

/**
 * One future's excess from the driver: a lag by its weight, `E` and `σ²`
 * given it, and the mentions' own fade beyond the last mention.
 *
 * @example
 * ```ts
 * const { excessAt, noiseScale } = drawDrivenExcess(seededRandom(1), driver);
 * excessAt(1) // this future's excess tomorrow
 * ```
 */
export function drawDrivenExcess(
  rng: RandomSource,
  driver: MentionsDriver,
): { excessAt: (h: number) => number; noiseScale: number } {
  let u = rng();
  let chosen = driver.fits[driver.fits.length - 1]!;
  for (const f of driver.fits) {
    u -= f.weight;
    if (u < 0) {
      chosen = f;
      break;
    }
  }
  const { height, noiseScale } = drawHeight(rng, chosen);
  const fade = drawFade(rng, driver.mentions.fades);
  const faded = (d: number) => fade.height * Math.exp(-fade.decayPerDay * d);
  return {
    excessAt: (h) => (height * Math.max(0, mentionsAhead(driver.mentions, chosen, h, faded))) / chosen.anchor,
    noiseScale,
  };
}
