/**
 * The JSON a saga's input is stored as: checked once, where the saga starts,
 * so a bad input is refused typed before anything is written.
 */
import { ValidationError } from '../core/errors.js';
import { unstorableInJson } from '../core/storable-text.js';

/**
 * A saga input's JSON as the store keeps it, or a `ValidationError`: not JSON
 * (a BigInt, a cycle), or JSON PostgreSQL's jsonb refuses (a NUL character, a
 * lone surrogate), which would fail the insert with the database's error.
 *
 * @example
 * ```ts
 * storableInputJson('checkout', { orderId: 'o-1' }) // '{"orderId":"o-1"}'
 * storableInputJson('checkout', { note: 'x\ud800' }) // throws ValidationError
 * ```
 */
export function storableInputJson(definition: string, input: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(input ?? null);
  } catch (err) {
    throw new ValidationError(
      `Input of saga "${definition}" is not JSON`,
      [{ path: '', message: String(err) }],
      {
        cause: err,
      },
    );
  }
  if (text === undefined) return 'null';
  const unstorable = unstorableInJson(text);
  if (unstorable !== undefined)
    throw new ValidationError(`Input of saga "${definition}" contains ${unstorable}`, [
      { path: '', message: `contains ${unstorable}, which PostgreSQL cannot store` },
    ]);
  return text;
}
