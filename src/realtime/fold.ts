/**
 * Coalescing row changes inside a batching window: all changes to one key
 * become one folded change holding the row before the window and after it.
 */
import { compareCheckpoints, type LogCheckpoint } from '../core/checkpoint.js';
import type { Row, RowChange } from '../core/row-change.js';
import { type ChannelDefinition, keyIdOf } from './channels.js';

/** Every change to one key inside one window, folded. */
export interface FoldedChange {
  /** Key columns of the row. */
  key: Row;
  /** Stable id of the key (see `keyIdOf`). */
  keyId: string;
  /** The row before the window's first change to this key (null: it did not exist). */
  oldRow: Row | null;
  /** The row after the window's last change (null: it was deleted). */
  newRow: Row | null;
  /**
   * The latest non-null version of the row seen in the window (its tenant), kept
   * even when the row was inserted and deleted inside the window: a subscriber
   * whose snapshot fell in between must still be told to delete it.
   */
  lastSeen: Row | null;
  /** Checkpoint of the first change folded in. */
  firstCheckpoint: LogCheckpoint;
  /** Checkpoint of the last change folded in. */
  lastCheckpoint: LogCheckpoint;
}

/** One channel's folded changes of one window; `cursor` = the newest checkpoint folded in. */
export interface ChangeBatch {
  channel: string;
  cursor: LogCheckpoint;
  changes: FoldedChange[];
}

/**
 * Fold a window of changes (in log order) of one channel into one batch (null
 * for an empty window). A row inserted and deleted inside the window stays, with
 * both rows null: only a subscriber whose position falls inside the window acts on it.
 *
 * @example
 * ```ts
 * foldChanges(channel, [insertA, updateA, updateB]) // { cursor: updateB.checkpoint, changes: [A, B] }
 * ```
 */
export function foldChanges(channel: ChannelDefinition, changes: readonly RowChange[]): ChangeBatch | null {
  if (changes.length === 0) return null;
  // The newest position folded in, not the last to arrive: inline read models publish in
  // commit order, which may put a transaction before one that took its place in the log earlier.
  let cursor = changes[0]!.checkpoint;
  const byKey = new Map<string, FoldedChange>();
  for (const change of changes) {
    if (compareCheckpoints(change.checkpoint, cursor) > 0) cursor = change.checkpoint;
    const keyId = keyIdOf(channel, change.key);
    const seen = byKey.get(keyId);
    if (seen) {
      seen.newRow = change.newRow;
      seen.lastSeen = change.newRow ?? change.oldRow ?? seen.lastSeen;
      seen.lastCheckpoint = change.checkpoint;
    } else {
      byKey.set(keyId, {
        key: change.key,
        keyId,
        oldRow: change.oldRow,
        newRow: change.newRow,
        lastSeen: change.newRow ?? change.oldRow,
        firstCheckpoint: change.checkpoint,
        lastCheckpoint: change.checkpoint,
      });
    }
  }
  return { channel: channel.name, cursor, changes: [...byKey.values()] };
}
