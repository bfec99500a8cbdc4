/**
 * The texts of a manual trigger, checked before anything is written: the
 * run's row keeps them as `text`, which refuses a NUL character and turns a
 * lone UTF-16 surrogate into U+FFFD (so two different keys would name one run).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isStorableText } from '../core/storable-text.js';

/**
 * Throw `INVALID_ARGUMENT` when the trigger's `key` or `requestedBy` is not a
 * non-empty string every storage keeps as it is.
 *
 * @example
 * ```ts
 * assertTriggerTexts({ key: 'sync:42', requestedBy: 'admin-1' }); // passes
 * assertTriggerTexts({ key: 'a\u0000b' }); // throws InvalidArgumentError
 * ```
 */
export function assertTriggerTexts(options: { key?: unknown; requestedBy?: unknown }): void {
  for (const field of ['key', 'requestedBy'] as const) {
    const value = options[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length === 0)
      throw new InvalidArgumentError(`Trigger ${field} must be a non-empty string`);
    if (!isStorableText(value))
      throw new InvalidArgumentError(
        `Trigger ${field} must not contain a NUL character or a lone UTF-16 surrogate`,
      );
  }
}
