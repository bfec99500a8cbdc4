/**
 * A realtime resume cursor as a transport hands it to a client: the log
 * checkpoint of the last change applied, then `.` and a short fingerprint of
 * the subscription it was issued for (`812:40.3f9a0c12bd`). The server checks
 * the fingerprint on resume (src/realtime/cursor-binding.ts); a client treats
 * the whole cursor as opaque and only orders cursors by their checkpoint.
 * Browser-safe: no hashing here.
 */
import { type LogCheckpoint, isCheckpoint } from './checkpoint.js';

/** Between the checkpoint and the fingerprint: unreserved in URLs, never part of a checkpoint. */
const SEPARATOR = '.';
const BOUND = /^(\d{1,20}:\d{1,16})\.([0-9a-f]{10})$/;

/** A resume cursor split into its parts. */
export interface ResumeCursorParts {
  checkpoint: LogCheckpoint;
  /** Null: a cursor in the format before fingerprints (a bare checkpoint). */
  fingerprint: string | null;
}

/**
 * Append a subscription fingerprint to a checkpoint.
 *
 * @example
 * ```ts
 * bindCheckpoint('812:40', '3f9a0c12bd') // '812:40.3f9a0c12bd'
 * ```
 */
export function bindCheckpoint(checkpoint: LogCheckpoint, fingerprint: string): string {
  return `${checkpoint}${SEPARATOR}${fingerprint}`;
}

/**
 * The parts of a resume cursor; null when it is neither a bound cursor nor a bare checkpoint.
 *
 * @example
 * ```ts
 * splitResumeCursor('812:40.3f9a0c12bd') // { checkpoint: '812:40', fingerprint: '3f9a0c12bd' }
 * splitResumeCursor('812:40') // { checkpoint: '812:40', fingerprint: null }
 * ```
 */
export function splitResumeCursor(cursor: string): ResumeCursorParts | null {
  const bound = BOUND.exec(cursor);
  if (bound) return { checkpoint: bound[1]!, fingerprint: bound[2]! };
  return isCheckpoint(cursor) ? { checkpoint: cursor, fingerprint: null } : null;
}

/**
 * The checkpoint a resume cursor stands at (for ordering cursors); the cursor itself when malformed.
 *
 * @example
 * ```ts
 * resumeCursorCheckpoint('812:40.3f9a0c12bd') // '812:40'
 * ```
 */
export function resumeCursorCheckpoint(cursor: string): string {
  return splitResumeCursor(cursor)?.checkpoint ?? cursor;
}
