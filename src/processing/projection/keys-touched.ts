/**
 * The rows an inline batch's events will touch, computed before the batch is
 * written (see `InlineHook.lockBeforeWrite`).
 */
import type { Row } from '../../core/row-change.js';
import type { StoredEvent } from '../../store/types.js';
import type { ProjectionDefinition } from './definition.js';

/**
 * The keys `definition`'s handlers give `events`, or `null` when a handler
 * reaches rows by scope or cannot key an event not yet written (a key read
 * from its version or position): the caller then locks the whole table or set.
 *
 * @example
 * ```ts
 * const keys = keysTouched(levels, pending); // [{ sku: 'a' }, { sku: 'b' }] or null
 * ```
 */
export function keysTouched(definition: ProjectionDefinition, events: readonly StoredEvent[]): Row[] | null {
  const keys: Row[] = [];
  for (const event of events) {
    const handler = definition.handlers[event.type];
    if (!handler) continue;
    try {
      if (handler.scope?.(event)) return null;
      const raw = handler.key(event);
      if (raw === null || raw === undefined) continue;
      for (const key of Array.isArray(raw) ? (raw as Row[]) : [raw as Row]) {
        if (definition.key.some((column) => key[column] === undefined || key[column] === null)) return null;
        keys.push(key);
      }
    } catch {
      return null;
    }
  }
  return keys;
}
