/**
 * JSON values as contenders carry them, with a canonical encoding so equal
 * values compare equal whatever their key order.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object: an entity's state or a contender's changed fields. */
export type JsonObject = { [key: string]: Json };

/**
 * Encode a JSON value with object keys sorted, so equal values give equal strings.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [2, 'x'] }) // '{"a":[2,"x"],"b":1}'
 * ```
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}

/**
 * Structural equality of two JSON values.
 *
 * @example
 * ```ts
 * jsonEquals({ a: 1, b: 2 }, { b: 2, a: 1 }) // true
 * ```
 */
export function jsonEquals(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}
