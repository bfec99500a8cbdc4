/**
 * The in-memory adapter of {@link InventorySyncMarks}: one per in-memory
 * store (`inventorySyncMarksOf`), so a trigger stopped without flushing
 * leaves its marks to the next one started on the same store. Same laws as
 * the SQL adapter: a product keeps the position its last run synced, and a
 * mark at or below it is ignored.
 */
import {
  markKey,
  mergeMark,
  type InventorySyncMark,
  type InventorySyncMarks,
  type SyncedMark,
} from './inventory-sync-marks.js';

/** A product's latest mark and the position its last run synced (pending while below the mark's). */
interface ProductMarks {
  mark: InventorySyncMark;
  syncedPosition: number;
}

const pending = (p: ProductMarks) => p.mark.position > p.syncedPosition;

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
  readonly #products = new Map<string, ProductMarks>();

  async migrate(): Promise<void> {}

  async add(marks: readonly InventorySyncMark[]): Promise<InventorySyncMark[]> {
    const marked = new Map<string, InventorySyncMark>();
    for (const mark of marks) {
      const key = markKey(mark);
      const held = this.#products.get(key);
      if (held && mark.position <= held.syncedPosition) continue; // covered by a run already
      const next = mergeMark(held && pending(held) ? held.mark : undefined, mark);
      this.#products.set(key, { mark: next, syncedPosition: held?.syncedPosition ?? 0 });
      marked.set(key, next);
    }
    return [...marked.values()].map((m) => ({ ...m }));
  }

  async load(): Promise<InventorySyncMark[]> {
    return [...this.#products.values()].filter(pending).map((p) => ({ ...p.mark }));
  }

  async remove(synced: readonly SyncedMark[]): Promise<void> {
    for (const s of synced) {
      const held = this.#products.get(markKey(s));
      if (held) held.syncedPosition = Math.max(held.syncedPosition, s.position);
    }
  }
}
