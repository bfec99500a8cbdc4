/**
 * Comparing row values with filter values. Filter values arrive as text (from
 * a URL); row values may be numbers, strings (pg returns numeric/bigint as
 * text), booleans or dates. One canonical text form makes equality hashable.
 */

const NUMERIC = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The canonical text of a value: numbers and numeric text as `String(Number(x))`,
 * dates as ISO strings, null/undefined as `null`.
 *
 * @example
 * ```ts
 * canonicalValue(5) === canonicalValue('5.0') // true
 * ```
 */
export function canonicalValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    if (NUMERIC.test(value)) {
      const n = Number(value);
      if (Number.isFinite(n) && Number.isSafeInteger(Math.trunc(n))) return String(n);
    }
    return value;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

/**
 * Order two canonical values: numerically when both are numbers, else as text.
 *
 * @example
 * ```ts
 * compareValues('10', '9') > 0 // true (numeric), compareValues('b', 'a') > 0
 * ```
 */
export function compareValues(a: string, b: string): number {
  if (NUMERIC.test(a) && NUMERIC.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
