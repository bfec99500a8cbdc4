/**
 * Figures of one field over a contender set (maximum, range): the building
 * blocks of escalation thresholds and impact estimators. Pure.
 */
import type { JsonObject } from '../json.js';
import type { Contender } from '../types.js';

/**
 * Numeric values of a field: the base's and every contender's absolute value.
 *
 * @example
 * ```ts
 * fieldNumbers({ amount: 10 }, contenders, 'amount') // [10, 12, ...]
 * ```
 */
export function fieldNumbers(base: JsonObject, contenders: readonly Contender[], field: string): number[] {
  const out: number[] = [];
  const b = base[field];
  if (typeof b === 'number') out.push(b);
  for (const c of contenders) {
    const v = c.changes[field];
    if (typeof v === 'number') out.push(v);
  }
  return out;
}

/**
 * Largest numeric value of `field` in the base and the contenders (-Infinity when none).
 * A Math.max fold equals Math.max(...values), -0 included, without the array.
 *
 * @example
 * ```ts
 * maxNumber({ amount: 10 }, contenders, 'amount') // 12 when a contender sets 12
 * ```
 */
export function maxNumber(base: JsonObject, contenders: readonly Contender[], field: string): number {
  const b = base[field];
  let max = typeof b === 'number' ? b : -Infinity;
  for (const c of contenders) {
    const v = c.changes[field];
    if (typeof v === 'number') max = Math.max(max, v);
  }
  return max;
}

/** Count, minimum and maximum of the contenders' absolute values of a field. */
export interface Range {
  count: number;
  min: number;
  max: number;
}

/**
 * Count, minimum and maximum of the contenders' absolute values of `field` (the base excluded).
 *
 * @example
 * ```ts
 * const r = absoluteRange(contenders, 'quantity'); // { count: 2, min: 8, max: 10 }
 * if (r.count >= 2) console.log(r.max - r.min);
 * ```
 */
export function absoluteRange(contenders: readonly Contender[], field: string): Range {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const c of contenders) {
    const v = c.changes[field];
    if (typeof v !== 'number') continue;
    count++;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { count, min, max };
}
