/**
 * A small seeded random source, so that every forecast (its sample paths and
 * so its quantiles) is a pure function of its input and seed.
 */

/** Uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * Mulberry32: a 32-bit generator, fast and good enough for Monte-Carlo
 * quantiles (not for cryptography).
 *
 * @example
 * ```ts
 * const rng = seededRandom(42);
 * rng(); // 0.6011037519201636, the same every run
 * ```
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniformly chosen element of a non-empty array. */
export function pick<T>(rng: RandomSource, values: readonly T[]): T {
  return values[Math.floor(rng() * values.length)]!;
}

/**
 * A Poisson draw (Knuth's method below mean 30, a rounded normal above).
 * Used by the synthetic demand generators of tests and benchmarks.
 *
 * @example
 * ```ts
 * poisson(seededRandom(1), 4) // a small whole number
 * ```
 */
export function poisson(rng: RandomSource, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * standardNormal(rng)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}

/** A standard normal draw (Box–Muller). */
export function standardNormal(rng: RandomSource): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
