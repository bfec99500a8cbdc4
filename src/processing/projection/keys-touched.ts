/**
 * The rows an inline batch's events will touch, computed before the batch is
 * written (see `InlineHook.lockBeforeWrite`).
 */
import type { Row } from '../../core/row-change.js';
import type { StoredEvent } from '../../store/types.js';
import type { ProjectionDefinition } from './definition.js';
import { rowKey } from './table-backend.js';

/** The rows a batch reads and writes back, and those it only merges into. */
export interface RowsTouched {
  keys: Row[];
  /** Rows every touch of which is a merge handler's (empty unless asked for). */
  merged: Row[];
}

/**
 * The keys `definition`'s handlers give `events`, or `null` when a handler
 * reaches rows by scope or cannot key an event not yet written (a key read
 * from its version or position): the caller then locks the whole table or set.
 * With `merges` (the table merges in the database), rows only merge handlers
 * touch are in `merged` instead of `keys`.
 *
 * @example
 * ```ts
 * const touched = keysTouched(levels, pending); // { keys: [{ sku: 'a' }, { sku: 'b' }], merged: [] } or null
 * ```
 */
export function keysTouched(
  definition: ProjectionDefinition,
  events: readonly StoredEvent[],
  merges = false,
): RowsTouched | null {
  const keys = new Map<string, Row>();
  const read = new Set<string>();
  for (const event of events) {
    const handler = definition.handlers[event.type];
    if (!handler) continue;
    try {
      if (handler.scope?.(event)) return null;
      const raw = handler.key(event);
      if (raw === null || raw === undefined) continue;
      for (const key of Array.isArray(raw) ? (raw as Row[]) : [raw as Row]) {
        if (definition.key.some((column) => key[column] === undefined || key[column] === null)) return null;
        const id = rowKey(definition.key, key);
        keys.set(id, key);
        if (!merges || !handler.merge) read.add(id);
      }
    } catch {
      return null;
    }
  }
  const touched: RowsTouched = { keys: [], merged: [] };
  for (const [id, key] of keys) (read.has(id) ? touched.keys : touched.merged).push(key);
  return touched;
}
