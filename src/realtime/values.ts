/**
 * Comparing row values with filter values. Filter values arrive as text (from
 * a URL); row values may be numbers, strings (pg returns numeric/bigint as
 * text), booleans or dates. One canonical text form makes equality hashable.
 */

import type { ChannelDefinition } from './channels.js';
import type { ColumnType } from './column-types.js';
import { compareDecimalText, formatDecimalText, isNumericText } from './decimal.js';

/**
 * The text of a row value as written, before any normalisation: what
 * `value::text` gives in PostgreSQL for the usual column types (strings as
 * they are, numbers as `String(n)`, booleans as `true`/`false`); dates as ISO
 * strings and other objects as JSON. `null` for null/undefined.
 *
 * @example
 * ```ts
 * valueText('007') === '007'; valueText(7) === '7'; valueText(true) === 'true'
 * ```
 */
export function valueText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/**
 * The canonical text of a value: numbers and numeric text (see
 * `isNumericText`) in plain decimal notation without redundant zeros (as
 * PostgreSQL's `trim_scale(x::numeric)`), other values as {@link valueText}.
 * Two values have the same canonical text exactly when they compare equal,
 * which makes equality hashable.
 *
 * @example
 * ```ts
 * canonicalValue(5) === canonicalValue('5.0') // true
 * canonicalValue('9007199254740993') === '9007199254740993' // exact, not rounded to a double
 * ```
 */
export function canonicalValue(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value); // also -0 → '0'
  const text = valueText(value);
  return text !== null && isNumericText(text) ? formatDecimalText(text) : text;
}

/**
 * Order two texts by Unicode code point, as PostgreSQL's `COLLATE "C"` does on
 * UTF-8 (JavaScript's `<` compares UTF-16 code units, which puts an emoji
 * before `'\uFFFD'`).
 *
 * @example
 * ```ts
 * compareCodePoints('\u{1F600}', '\uFFFD') > 0 // true, while '\u{1F600}' < '\uFFFD' in JavaScript
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) stand for code points above every other unit.
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Order two values by content: exactly as decimal numbers when both are
 * numeric text, else as text by code point.
 *
 * @example
 * ```ts
 * compareValues('10', '9') > 0 // true (numeric), compareValues('b', 'a') > 0
 * ```
 */
export function compareValues(a: string, b: string): number {
  if (isNumericText(a) && isNumericText(b)) return compareDecimalText(a, b);
  return compareCodePoints(a, b);
}

/** What a column's values are compared as: its declared type, else `undefined` (by content, as above). */
export type ComparedAs = ColumnType | undefined;

/**
 * How a channel's column is compared: its declared type; the tenant column,
 * undeclared, as exact text (tenant ids are never normalised: `'001'` is not
 * `'1'`); any other undeclared column by content ({@link canonicalValue}).
 *
 * @example
 * ```ts
 * columnComparedAs(channel, 'sku') // 'text' when the channel declares it, else undefined
 * ```
 */
export function columnComparedAs(channel: ChannelDefinition, column: string): ComparedAs {
  return channel.columnTypes?.[column] ?? (column === channel.tenantColumn ? 'text' : undefined);
}

const DAY_PREFIX = /^\d{4}-\d{2}-\d{2}/;

/**
 * The canonical text of a value of a typed column, so a row value (as the
 * driver or a projection hands it over) equals a filter literal exactly when
 * the database says so: `text` as written (no numeric normalisation: `'007'`
 * is not `'7'`), `date` as `YYYY-MM-DD` (a driver's `Date` at midnight, UTC
 * or local), `timestamp` as an ISO instant in UTC; numbers and booleans as
 * {@link canonicalValue}. Untyped (`undefined`): {@link canonicalValue}.
 *
 * @example
 * ```ts
 * canonicalValueAs('text', '007') === '007'; canonicalValueAs(undefined, '007') === '7'
 * canonicalValueAs('date', new Date('2026-12-05T00:00:00Z')) === '2026-12-05'
 * ```
 */
export function canonicalValueAs(type: ComparedAs, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'text':
      return typeof value === 'string' ? value : canonicalValue(value);
    case 'date':
      if (value instanceof Date) return dayOf(value);
      if (typeof value === 'string' && DAY_PREFIX.test(value)) return value.slice(0, 10);
      return canonicalValue(value);
    case 'timestamp': {
      const time =
        value instanceof Date ? value.getTime() : typeof value === 'string' ? parseTime(value) : NaN;
      return Number.isNaN(time) ? canonicalValue(value) : new Date(time).toISOString();
    }
    default:
      // PostgreSQL reads '+5' as 5.
      return canonicalValue(
        typeof value === 'string' && type !== undefined ? value.replace(/^\+/, '') : value,
      );
  }
}

/**
 * Order two canonical values of a column compared as `type`: text, dates and
 * timestamps by their text (fixed-width ISO forms sort in time order), the
 * rest as {@link compareValues}.
 *
 * @example
 * ```ts
 * compareValuesAs('text', '9', '10') > 0; compareValuesAs('integer', '9', '10') < 0
 * ```
 */
export function compareValuesAs(type: ComparedAs, a: string, b: string): number {
  if (type === 'text' || type === 'date' || type === 'timestamp') return compareCodePoints(a, b);
  return compareValues(a, b);
}

/** The calendar day of a driver's `Date` for a `date` column: UTC midnight (PGlite) or local midnight (pg). */
function dayOf(date: Date): string {
  const utcMidnight =
    date.getUTCHours() === 0 &&
    date.getUTCMinutes() === 0 &&
    date.getUTCSeconds() === 0 &&
    date.getUTCMilliseconds() === 0;
  if (utcMidnight) return date.toISOString().slice(0, 10);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Milliseconds of an ISO 8601 timestamp (a space may separate date and time, as PostgreSQL writes it). */
function parseTime(text: string): number {
  return Date.parse(text.replace(' ', 'T'));
}
