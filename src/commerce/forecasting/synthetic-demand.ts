/**
 * Simulated daily demand with known generating processes, for backtests,
 * calibration tests and demos: steady, trending, weekly-seasonal,
 * intermittent, and viral (a base process plus shocks that decay); and
 * `seasonal_yearly`, the weekly pattern times a yearly swell (a 364-day cycle).
 */
import { poisson, seededRandom, type RandomSource } from './random.js';

/** The demand classes the generators know. */
export const DEMAND_CLASSES = [
  'steady',
  'trending',
  'seasonal',
  'intermittent',
  'viral',
  'seasonal_yearly',
] as const;
/** One of {@link DEMAND_CLASSES}. */
export type DemandClass = (typeof DEMAND_CLASSES)[number];

/** A generated series and what generated it. */
export interface SyntheticDemand {
  demandClass: DemandClass;
  sales: number[];
  /** Mentions per day (they lead viral shocks by one day; background noise otherwise). */
  mentions: number[];
  /** Days on which a viral shock starts. */
  shockOnsets: number[];
}

/** Weekday multipliers of the seasonal class (index = day % 7). */
const WEEKLY = [0.8, 0.85, 0.9, 1.0, 1.15, 1.45, 0.85];

function between(rng: RandomSource, low: number, high: number): number {
  return low + (high - low) * rng();
}

/** Gamma(shape, 1/shape) via Marsaglia–Tsang (shape ≥ 1): mean 1, mild overdispersion. */
function gammaNoise(rng: RandomSource, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = Math.max(rng(), 1e-12);
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (Math.log(Math.max(u, 1e-12)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / shape;
  }
}

/**
 * Generate `days` of demand of one class; deterministic for a seed.
 *
 * @example
 * ```ts
 * const s = syntheticDemand('seasonal', 730, 7);
 * s.sales.length // 730
 * ```
 */
export function syntheticDemand(demandClass: DemandClass, days: number, seed: number): SyntheticDemand {
  const rng = seededRandom(seed);
  const base = between(rng, 4, 60);
  const growth = between(rng, 0.5, 1.5) / days;
  const probability = between(rng, 0.05, 0.3);
  const size = between(rng, 0.5, 3);
  // seasonal_yearly also swells and ebbs over the year (±20–40 %, any phase).
  const yearly =
    demandClass === 'seasonal_yearly'
      ? { amplitude: between(rng, 0.2, 0.4), phase: 2 * Math.PI * rng() }
      : null;
  const onsets: number[] = [];
  const shocks: Array<{ at: number; height: number; decay: number }> = [];
  if (demandClass === 'viral') {
    const count = 1 + Math.floor(rng() * 2);
    for (let i = 0; i < count; i++) {
      const at = Math.floor(between(rng, 0.3, 0.95) * days);
      onsets.push(at);
      shocks.push({ at, height: base * between(rng, 2, 8), decay: Math.LN2 / between(rng, 3, 14) });
    }
    onsets.sort((a, b) => a - b);
  }
  const sales: number[] = [];
  const mentions: number[] = [];
  for (let t = 0; t < days; t++) {
    let rate = base;
    if (demandClass === 'trending') rate = base * (1 + growth * t);
    if (demandClass === 'seasonal' || demandClass === 'seasonal_yearly' || demandClass === 'viral')
      rate = base * WEEKLY[t % 7]!;
    if (yearly) rate *= 1 + yearly.amplitude * Math.sin((2 * Math.PI * t) / 364 + yearly.phase);
    let talk = 20;
    for (const s of shocks) {
      if (t >= s.at) rate += s.height * Math.exp(-s.decay * (t - s.at));
      if (t >= s.at - 1) talk += 40 * s.height * Math.exp(-s.decay * (t - s.at + 1));
    }
    if (demandClass === 'intermittent') {
      sales.push(rng() < probability ? 1 + poisson(rng, size) : 0);
    } else {
      sales.push(poisson(rng, rate * gammaNoise(rng, 30)));
    }
    mentions.push(poisson(rng, talk));
  }
  return { demandClass, sales, mentions, shockOnsets: onsets };
}
