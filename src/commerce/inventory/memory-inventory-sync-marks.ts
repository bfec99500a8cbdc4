/**
 * The in-memory adapter of {@link InventorySyncMarks}: one per in-memory
 * store (`inventorySyncMarksOf`), so a trigger stopped without flushing
 * leaves its marks to the next one started on the same store.
 */
import {
  markKey,
  mergeMark,
  type InventorySyncMark,
  type InventorySyncMarks,
  type SyncedMark,
} from './inventory-sync-marks.js';

/**
 * Marks in a Map (the in-memory store's companion).
 *
 * @example
 * ```ts
 * const marks = new MemoryInventorySyncMarks();
 * await marks.add([{ creatorId: 'c1', productId: 'p1', firstMs: 0, lastMs: 0, position: 1 }]);
 * ```
 */
export class MemoryInventorySyncMarks implements InventorySyncMarks {
  readonly #marks = new Map<string, InventorySyncMark>();

  async migrate(): Promise<void> {}

  async add(marks: readonly InventorySyncMark[]): Promise<void> {
    for (const mark of marks) {
      const key = markKey(mark);
      this.#marks.set(key, mergeMark(this.#marks.get(key), mark));
    }
  }

  async load(): Promise<InventorySyncMark[]> {
    return [...this.#marks.values()].map((m) => ({ ...m }));
  }

  async remove(synced: readonly SyncedMark[]): Promise<void> {
    for (const s of synced) {
      const key = markKey(s);
      const held = this.#marks.get(key);
      if (held && held.position <= s.position) this.#marks.delete(key);
    }
  }
}
