/**
 * Text PostgreSQL can store. JavaScript strings allow the NUL character and
 * lone UTF-16 surrogates (half of a pair, e.g. from slicing an emoji);
 * PostgreSQL refuses both: `text` and `jsonb` reject NUL, `jsonb` rejects a
 * lone surrogate's `\udXXX` escape, and the driver silently turns a lone
 * surrogate in `text` into U+FFFD (so two different names would become one).
 * An error message that carries one (an upstream API echoing bytes) would
 * make the write recording the failure fail itself, again on every retry.
 */

/** ES2024's well-formedness methods (Node.js 20 has them; the compiler's lib is ES2023). */
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * In `JSON.stringify` output, the escape of a NUL or of a lone surrogate (the only
 * characters it escapes as `\u0000` and `\ud800`–`\udfff`), not preceded by an
 * escaped backslash: `"\\u0000"` is the six characters `\u0000`, which PostgreSQL stores.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/;

/**
 * `text` with every NUL character and lone surrogate replaced by U+FFFD (the replacement character).
 *
 * @example
 * ```ts
 * storableText('bad\u0000bytes') // 'bad\uFFFDbytes'
 * storableText('cut \ud83d') // 'cut \uFFFD'
 * ```
 */
export function storableText(text: string): string {
  if (isStorableText(text)) return text;
  // toWellFormed turns each lone surrogate into U+FFFD, as a replace of `/\p{Cs}/gu` would.
  return (text.replaceAll('\0', '\uFFFD') as WellFormed).toWellFormed();
}

/**
 * True when PostgreSQL stores `text` as it is: no NUL character, no lone surrogate.
 *
 * @example
 * ```ts
 * isStorableText('order-7') // true
 * isStorableText('order-\ud800') // false
 * ```
 */
export function isStorableText(text: string): boolean {
  // Two native scans, 2-3x cheaper than the regex /[\0\p{Cs}]/u on the short names every append
  // checks (benchmarks/probe/storable-text.ts). isWellFormed is false exactly when a surrogate
  // is unpaired. A non-string (an HTTP query's array) is read as its text, as RegExp#test reads it.
  const s = typeof text === 'string' ? text : `${text as unknown as string}`;
  return !s.includes('\0') && (s as WellFormed).isWellFormed();
}

/**
 * What in `json` (the output of `JSON.stringify`) PostgreSQL's `jsonb` refuses:
 * `'a NUL character'`, `'a lone UTF-16 surrogate'`, or undefined when it stores it.
 *
 * @example
 * ```ts
 * unstorableInJson(JSON.stringify({ note: 'x\ud800' })) // 'a lone UTF-16 surrogate'
 * unstorableInJson(JSON.stringify({ note: 'x' })) // undefined
 * ```
 */
export function unstorableInJson(json: string): string | undefined {
  // Most JSON has no \u escape at all: one scan, no regex.
  if (!json.includes('\\u')) return undefined;
  const escape = UNSTORABLE_ESCAPE.exec(json)?.[0];
  if (escape === undefined) return undefined;
  return escape.endsWith('0000') ? 'a NUL character' : 'a lone UTF-16 surrogate';
}
