import { InvalidArgumentError } from '../core/errors.js';
import type { ExpectedVersion } from './types.js';

/**
 * Does a stream at `currentVersion` (0 = no events) satisfy `expected`?
 * The one rule every engine enforces.
 *
 * @example
 * ```ts
 * satisfiesExpectedVersion('no_stream', 0) // true
 * ```
 */
export function satisfiesExpectedVersion(expected: ExpectedVersion, currentVersion: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return currentVersion === 0;
    case 'stream_exists':
      return currentVersion > 0;
    default:
      return currentVersion === expected;
  }
}

/** Throws unless `value` is a valid {@link ExpectedVersion}. */
export function assertExpectedVersion(value: unknown): asserts value is ExpectedVersion {
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return;
  throw new InvalidArgumentError(
    `expectedVersion must be a non-negative integer, 'any', 'no_stream' or 'stream_exists', got ${describeValue(value)}`,
  );
}

/** The refused value as the message shows it: JSON where it has one (a BigInt or a symbol has none). */
function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
