/**
 * Log checkpoints as fixed-width strings, so the cache compares positions
 * with `<` on every hit instead of parsing `"<txid>:<position>"` pairs.
 */
import { parseCheckpoint, type LogCheckpoint } from '../core/checkpoint.js';

/** A log checkpoint that sorts as a string: 20-digit transaction id, `:`, 16-digit position. */
export type LogPosition = string;

/**
 * The sortable form of a checkpoint.
 *
 * @example
 * ```ts
 * logPosition('9:40') < logPosition('10:2') // true
 * ```
 */
export function logPosition(checkpoint: LogCheckpoint): LogPosition {
  const { transactionId, globalPosition } = parseCheckpoint(checkpoint);
  return `${String(transactionId).padStart(20, '0')}:${String(globalPosition).padStart(16, '0')}`;
}

const LOG_POSITION = /^\d{20}:\d{16}$/;

/**
 * True when `value` is a position as {@link logPosition} writes it. Another
 * string would compare wrongly with `<` (`'3:3'` sorts after every real
 * position) or not convert back to a checkpoint.
 *
 * @example
 * ```ts
 * isLogPosition(logPosition('9:40')) // true
 * isLogPosition('9:40') // false
 * ```
 */
export function isLogPosition(value: unknown): value is LogPosition {
  return typeof value === 'string' && LOG_POSITION.test(value);
}

/**
 * The checkpoint a sortable position stands for.
 *
 * @example
 * ```ts
 * checkpointOf(logPosition('9:40')) // '9:40'
 * ```
 */
export function checkpointOf(position: LogPosition): LogCheckpoint {
  const [tx = '0', pos = '0'] = position.split(':');
  return `${BigInt(tx)}:${Number(pos)}`;
}
