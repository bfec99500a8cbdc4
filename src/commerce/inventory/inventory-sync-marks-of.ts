/**
 * The one place the inventory sync trigger looks at the store's SQL port: it
 * picks the marks adapter that goes with the store.
 */
import type { EventStore } from '../../store/types.js';
import type { InventorySyncMarks } from './inventory-sync-marks.js';
import { MemoryInventorySyncMarks } from './memory-inventory-sync-marks.js';
import { SqlInventorySyncMarks } from './sql-inventory-sync-marks.js';

// In memory the marks live as long as the store, so a restarted trigger finds what was not flushed.
const memoryMarks = new WeakMap<EventStore, MemoryInventorySyncMarks>();

/**
 * The marks of `store`: its `<schema>.inventory_sync_marks` on
 * PostgreSQL/PGlite, else the store's one in-memory set.
 *
 * @example
 * ```ts
 * const marks = inventorySyncMarksOf(store);
 * await marks.migrate();
 * ```
 */
export function inventorySyncMarksOf(store: EventStore): InventorySyncMarks {
  if (store.sql) return new SqlInventorySyncMarks(store.sql, store.schema);
  let marks = memoryMarks.get(store);
  if (!marks) memoryMarks.set(store, (marks = new MemoryInventorySyncMarks()));
  return marks;
}
