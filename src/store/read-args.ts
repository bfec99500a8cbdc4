/**
 * The arguments of `EventStore.readStream` and `readAll`, checked before any
 * database sees them, the same on every store. On the SQL stores concurrent
 * reads share one statement (and followers one page): one read with a NUL in
 * its stream id, or a fractional or negative `maxCount` or `limit`, would fail
 * it for every reader in it, each getting the database's error.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isStorableText } from '../core/storable-text.js';
import type { ReadStreamOptions } from './types.js';

/**
 * Throw an `InvalidArgumentError` for a read no store can answer: a stream id
 * that is not a string or holds text PostgreSQL cannot store (a NUL character,
 * a lone surrogate: no append can name such a stream), a `fromVersion` that is
 * not a non-negative safe integer, a `maxCount` that is not a non-negative safe integer.
 *
 * @example
 * ```ts
 * assertReadStreamArgs('order-42', { fromVersion: 3 }); // passes
 * assertReadStreamArgs('order-\u0000', {}); // throws InvalidArgumentError
 * ```
 */
export function assertReadStreamArgs(streamId: unknown, options: ReadStreamOptions): void {
  if (typeof streamId !== 'string' || !isStorableText(streamId))
    throw new InvalidArgumentError(
      'readStream: streamId must be a string without a NUL character or a lone UTF-16 surrogate',
    );
  const { fromVersion, maxCount } = options;
  if (fromVersion !== undefined && !(Number.isSafeInteger(fromVersion) && fromVersion >= 0))
    throw new InvalidArgumentError(
      `readStream: fromVersion must be a non-negative integer, got ${String(fromVersion)}`,
    );
  if (maxCount !== undefined && !(Number.isSafeInteger(maxCount) && maxCount >= 0))
    throw new InvalidArgumentError(
      `readStream: maxCount must be a non-negative integer, got ${String(maxCount)}`,
    );
}

/**
 * Throw an `InvalidArgumentError` for a `readAll` limit that is not a non-negative safe integer.
 *
 * @example
 * ```ts
 * assertReadAllLimit(500); // passes
 * assertReadAllLimit(1.5); // throws InvalidArgumentError
 * ```
 */
export function assertReadAllLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0))
    throw new InvalidArgumentError(`readAll: limit must be a non-negative integer, got ${String(limit)}`);
}
