/**
 * A seeded pseudo-random generator (mulberry32), so a simulator run can be
 * replayed exactly in tests.
 */

/** Uniform floats in [0, 1). */
export type Random = () => number;

/**
 * A seeded generator.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // 0.6011…
 * ```
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float in [min, max). */
export const between = (random: Random, min: number, max: number): number => min + (max - min) * random();

/** Pick an item with probability proportional to its weight. */
export function pickWeighted<T>(
  random: Random,
  items: readonly T[],
  weight: (item: T) => number,
): T | undefined {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const item of items) {
    r -= weight(item);
    if (r < 0) return item;
  }
  return items[items.length - 1];
}
