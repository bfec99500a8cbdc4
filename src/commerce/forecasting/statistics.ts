/**
 * Small statistics used across the forecasters.
 */

/** Arithmetic mean (0 for an empty list). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Mean absolute error of two aligned series. */
export function meanAbsoluteError(actual: readonly number[], predicted: readonly number[]): number {
  const n = Math.min(actual.length, predicted.length);
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(actual[i]! - predicted[i]!);
  return sum / n;
}

/**
 * The `level` quantile of an ascending-sorted list, interpolating linearly
 * between order statistics (type 7, the default of R and NumPy).
 *
 * @example
 * ```ts
 * quantileSorted([1, 2, 3, 4], 0.5) // 2.5
 * ```
 */
export function quantileSorted(sorted: ArrayLike<number>, level: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const position = (n - 1) * Math.min(1, Math.max(0, level));
  const lower = Math.floor(position);
  const upper = Math.min(n - 1, lower + 1);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

/** Sum of a list. */
export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * Root mean squared error of two aligned series: the selection criterion,
 * because the mean forecast minimises it (mean absolute error would favour
 * forecasting zero for a product that sells on one day in five).
 */
export function rootMeanSquaredError(actual: readonly number[], predicted: readonly number[]): number {
  const n = Math.min(actual.length, predicted.length);
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (actual[i]! - predicted[i]!) ** 2;
  return Math.sqrt(sum / n);
}
