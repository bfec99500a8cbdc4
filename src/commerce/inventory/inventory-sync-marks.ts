/**
 * The port of the inventory sync's marks: products whose stock moved and
 * that `sync-inventory-levels-on-events` has not synced yet. Durable on
 * PostgreSQL/PGlite (`sql-inventory-sync-marks.ts`), kept as long as the
 * store in memory (`memory-inventory-sync-marks.ts`);
 * `inventorySyncMarksOf(store)` picks one. Marks are added with the
 * processor's checkpoint update past their events (SQL: one statement), or
 * before it (memory; at-least-once: the events are delivered again after a
 * failure in between), and settled once the sync run that covered them
 * committed, so a host that dies in between leaves them to the next lease
 * holder. Adding is idempotent: a product keeps the position its last run
 * synced, and an event at or below it (delivered again) marks nothing.
 */
import type { CheckpointWrite } from '../../processing/index.js';

/**
 * A marked product: when its first unsynced event and its latest were marked
 * (the marking host's clock, ms) and the latest's log position.
 *
 * @example
 * ```ts
 * const mark: InventorySyncMark = { creatorId: 'c1', productId: 'p1', firstMs: 0, lastMs: 0, position: 42 };
 * ```
 */
export interface InventorySyncMark {
  creatorId: string;
  productId: string;
  firstMs: number;
  lastMs: number;
  position: number;
}

/** What a sync run covered: a product as of the position it was synced at. */
export type SyncedMark = Pick<InventorySyncMark, 'creatorId' | 'productId' | 'position'>;

/**
 * Storage of the marks (the port the trigger marks and flushes through).
 *
 * @example
 * ```ts
 * const marks = inventorySyncMarksOf(store);
 * await marks.migrate();
 * const pending = await marks.add([mark], ctx.withCheckpoint); // [] when a run already synced position 42
 * await marks.remove([{ creatorId: 'c1', productId: 'p1', position: 42 }]);
 * ```
 */
export interface InventorySyncMarks {
  migrate(): Promise<void>;
  /**
   * Mark products in one statement — sent through `via` where given (the
   * processor's `ctx.withCheckpoint`: with its checkpoint update) — idempotently: a
   * mark at or below the position its product was last synced at is ignored;
   * a product marked already keeps its first time and takes the later last
   * time and the higher position; one synced before starts a new mark.
   * Resolves with the resulting pending mark of each product it marked (what
   * the caller holds), none for those it ignored.
   */
  add(marks: readonly InventorySyncMark[], via?: CheckpointWrite): Promise<InventorySyncMark[]>;
  /** Every pending mark (what a new lease holder has to flush). */
  load(): Promise<InventorySyncMark[]>;
  /**
   * Settle what a committed sync run covered: a product's synced position
   * becomes the run's, so its mark is no longer pending unless an event
   * after that position (marked during the run) moved it on, and the same
   * events delivered again mark nothing.
   */
  remove(synced: readonly SyncedMark[]): Promise<void>;
}

/**
 * Migration component of the marks table.
 *
 * @example
 * ```ts
 * await runMigrations(sql, { schema, component: INVENTORY_SYNC_MARKS_COMPONENT, migrations });
 * ```
 */
export const INVENTORY_SYNC_MARKS_COMPONENT = 'inventory_sync_marks';

/**
 * Fold a mark into the one held for the same product (or take it): the
 * earliest first time, the latest last time, the highest position.
 *
 * @example
 * ```ts
 * const merged = mergeMark(held, incoming);
 * ```
 */
export function mergeMark(held: InventorySyncMark | undefined, mark: InventorySyncMark): InventorySyncMark {
  if (!held) return { ...mark };
  return {
    creatorId: held.creatorId,
    productId: held.productId,
    firstMs: Math.min(held.firstMs, mark.firstMs),
    lastMs: Math.max(held.lastMs, mark.lastMs),
    position: Math.max(held.position, mark.position),
  };
}

/**
 * The key of a product's mark.
 *
 * @example
 * ```ts
 * byProduct.get(markKey({ creatorId: 'c1', productId: 'p1' }));
 * ```
 */
export function markKey(m: Pick<InventorySyncMark, 'creatorId' | 'productId'>): string {
  return JSON.stringify([m.creatorId, m.productId]);
}
