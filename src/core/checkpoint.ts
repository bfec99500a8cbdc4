/**
 * Positions in the global log. A checkpoint is the pair (transaction id, global
 * position) of the last event read, written `"<txid>:<position>"`; ordering by
 * that pair is commit order, which is what makes the log gapless.
 */

import { InvalidArgumentError } from './errors.js';

/** An opaque, comparable position in the global log. */
export type LogCheckpoint = string;

/** The checkpoint before the first event. */
export const START_CHECKPOINT: LogCheckpoint = '0:0';

/** A checkpoint split into its parts. */
export interface CheckpointParts {
  /** Transaction id (PostgreSQL xid8, as a decimal string to keep 64 bits). */
  transactionId: bigint;
  globalPosition: number;
}

const CHECKPOINT_PATTERN = /^(\d{1,20}):(\d{1,16})$/;
/** A well-formed checkpoint without leading zeros, as the store writes them. */
const WRITTEN_PATTERN = /^(?:0|[1-9]\d{0,19}):(?:0|[1-9]\d{0,15})$/;

/** Two decimal numbers without leading zeros, in numeric order: the longer is larger. */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Parse a checkpoint; throws `InvalidArgumentError` when it is malformed.
 *
 * @example
 * ```ts
 * parseCheckpoint('812:40') // { transactionId: 812n, globalPosition: 40 }
 * ```
 */
export function parseCheckpoint(checkpoint: LogCheckpoint): CheckpointParts {
  const match = CHECKPOINT_PATTERN.exec(checkpoint);
  if (!match)
    throw new InvalidArgumentError(`Malformed log checkpoint "${checkpoint}" (expected "<txid>:<position>")`);
  return { transactionId: BigInt(match[1]!), globalPosition: Number(match[2]) };
}

/** True when `value` is a well-formed checkpoint string. */
export function isCheckpoint(value: unknown): value is LogCheckpoint {
  return typeof value === 'string' && CHECKPOINT_PATTERN.test(value);
}

/**
 * Build a checkpoint from its parts.
 *
 * @example
 * ```ts
 * formatCheckpoint(812n, 40) // '812:40'
 * ```
 */
export function formatCheckpoint(
  transactionId: bigint | string | number,
  globalPosition: number,
): LogCheckpoint {
  return `${String(transactionId)}:${globalPosition}`;
}

/**
 * Compare two checkpoints in log order: negative, zero or positive.
 *
 * @example
 * ```ts
 * compareCheckpoints('5:9', '6:1') < 0 // true
 * ```
 */
export function compareCheckpoints(a: LogCheckpoint, b: LogCheckpoint): number {
  // Hot (once per change folded or sent): checkpoints as the store writes them compare as text.
  if (WRITTEN_PATTERN.test(a) && WRITTEN_PATTERN.test(b)) {
    const ia = a.indexOf(':');
    const ib = b.indexOf(':');
    return compareDigits(a.slice(0, ia), b.slice(0, ib)) || compareDigits(a.slice(ia + 1), b.slice(ib + 1));
  }
  const pa = parseCheckpoint(a);
  const pb = parseCheckpoint(b);
  if (pa.transactionId !== pb.transactionId) return pa.transactionId < pb.transactionId ? -1 : 1;
  return pa.globalPosition - pb.globalPosition;
}
