/**
 * Text PostgreSQL can store. JSON and JavaScript strings allow the NUL
 * character; PostgreSQL's `text` and `jsonb` refuse it. An error message that
 * carries one (an upstream API echoing bytes) would make the write recording
 * the failure fail itself, again on every retry.
 */

/**
 * `text` with every NUL character replaced by U+FFFD (the replacement character).
 *
 * @example
 * ```ts
 * storableText('bad\u0000bytes') // 'bad\uFFFDbytes'
 * ```
 */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}
