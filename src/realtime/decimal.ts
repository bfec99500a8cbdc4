/**
 * Exact decimal numbers written as text, compared the way PostgreSQL's
 * `numeric` compares them. A JavaScript `Number` rounds to a double, so
 * `'9007199254740993'` would equal `'9007199254740992'` and `'0.1'` would
 * equal `'0.10000000000000001'` in memory while the database tells them
 * apart; comparing the digits keeps the live matcher and the SQL snapshot
 * in agreement.
 */

/**
 * What counts as numeric text: an optional minus, digits with an optional
 * point (or a point and digits), an optional exponent of at most three
 * digits. Written so PostgreSQL's regular expressions read it the same way
 * (the SQL filter binds {@link NUMERIC_TEXT_PATTERN} as it is).
 */
export const NUMERIC_TEXT_PATTERN = '^-?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]{1,3})?$';
/** Longest numeric text: with the exponent bound, `numeric` holds every such value exactly (no overflow). */
export const MAX_NUMERIC_TEXT = 1000;

const NUMERIC_TEXT = new RegExp(NUMERIC_TEXT_PATTERN);

/** A parsed decimal: `(negative ? -1 : 1) × 0.digits × 10^exponent`, digits without leading or trailing zeros. */
interface Decimal {
  negative: boolean;
  /** Significant digits; empty for zero. */
  digits: string;
  /** Position of the decimal point relative to the first significant digit. */
  exponent: number;
}

/**
 * True when `text` is numeric text (see {@link NUMERIC_TEXT_PATTERN}, at most
 * {@link MAX_NUMERIC_TEXT} characters).
 *
 * @example
 * ```ts
 * isNumericText('-1.5e3') // true; isNumericText('+5'), isNumericText('NaN'), isNumericText('1e1000') // false
 * ```
 */
export function isNumericText(text: string): boolean {
  return text.length <= MAX_NUMERIC_TEXT && NUMERIC_TEXT.test(text);
}

/** Parse numeric text (the caller checked {@link isNumericText}). */
function parse(text: string): Decimal {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const e = body.search(/[eE]/);
  const mantissa = e < 0 ? body : body.slice(0, e);
  const power = e < 0 ? 0 : Number(body.slice(e + 1));
  const point = mantissa.indexOf('.');
  const whole = point < 0 ? mantissa : mantissa.slice(0, point);
  const all = point < 0 ? mantissa : whole + mantissa.slice(point + 1);
  const lead = all.search(/[1-9]/);
  if (lead < 0) return { negative: false, digits: '', exponent: 0 };
  const digits = all.slice(lead).replace(/0+$/, '');
  return { negative, digits, exponent: whole.length - lead + power };
}

function compareMagnitudes(a: Decimal, b: Decimal): number {
  if (a.exponent !== b.exponent) return a.exponent < b.exponent ? -1 : 1;
  // Same exponent: the digit strings compare as fractions (no trailing zeros: a longer prefix match is larger).
  return a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
}

/**
 * Order two numeric texts exactly (negative, zero or positive).
 *
 * @example
 * ```ts
 * compareDecimalText('9007199254740993', '9007199254740992') > 0 // true (Number says 0)
 * compareDecimalText('-0', '0.000') === 0
 * ```
 */
export function compareDecimalText(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const signX = x.digits === '' ? 0 : x.negative ? -1 : 1;
  const signY = y.digits === '' ? 0 : y.negative ? -1 : 1;
  if (signX !== signY) return signX < signY ? -1 : 1;
  if (signX === 0) return 0;
  const magnitude = compareMagnitudes(x, y);
  return signX < 0 && magnitude !== 0 ? -magnitude : magnitude; // never -0
}

/**
 * The canonical text of numeric text: plain decimal notation without leading
 * zeros, trailing fractional zeros or a negative zero, as PostgreSQL writes
 * `trim_scale(x::numeric)` (`'007'` → `'7'`, `'1.50e2'` → `'150'`, `'-0'` → `'0'`).
 *
 * @example
 * ```ts
 * formatDecimalText('0.10') === '0.1'; formatDecimalText('1e-3') === '0.001'
 * ```
 */
export function formatDecimalText(text: string): string {
  const { negative, digits, exponent } = parse(text);
  if (digits === '') return '0';
  const sign = negative ? '-' : '';
  if (exponent <= 0) return `${sign}0.${'0'.repeat(-exponent)}${digits}`;
  if (exponent >= digits.length) return `${sign}${digits}${'0'.repeat(exponent - digits.length)}`;
  return `${sign}${digits.slice(0, exponent)}.${digits.slice(exponent)}`;
}

/** Smallest positive normal double: below it doubles lose precision and 15 digits no longer tell them apart. */
const MIN_NORMAL = 2 ** -1022;

/**
 * A double that orders exactly like numeric `text` against every double's
 * shortest text (`String(x)`), or null when there is none: numeric text
 * with at most 15 significant digits (every such decimal has a double of its
 * own) whose double is zero or normal. Lets the matcher compare a number row
 * value without writing and parsing it.
 *
 * @example
 * ```ts
 * orderingDouble('0.1') === 0.1; orderingDouble('0.10000000000000001') === null
 * ```
 */
export function orderingDouble(text: string): number | null {
  if (!isNumericText(text) || parse(text).digits.length > 15) return null;
  const double = Number(text);
  return double === 0 || (Number.isFinite(double) && Math.abs(double) >= MIN_NORMAL) ? double : null;
}
