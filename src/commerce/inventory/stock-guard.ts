/**
 * Never oversell: the stock check of an allocation made part of the append
 * that records it.
 *
 * `InventoryService.allocate` checks `available` before it appends, but two
 * allocations can both pass that check before either commits. So its
 * `inventory.reserved` events are marked ({@link STOCK_GUARD_METADATA}), and
 * this guard runs after the inline read models (in async mode: the inline
 * copy of `inventory_levels`) applied the append — inside
 * its transaction, under the lock of each product row it touched, which
 * makes appends on one product apply their changes one after another, so
 * the level it sees includes every reservation committed before. If a
 * marked reservation left its product's `available` below zero, it throws
 * {@link InsufficientStockError} and the whole append rolls back.
 *
 * Only marked reservations are judged: other writers (a reservation for an
 * allocation made elsewhere, a TikTok stock update that drops `on_hand`
 * below what is reserved) record facts that must not be refused, and replays
 * never run guards.
 */
import type { StoredEvent } from '../../store/types.js';
import { InsufficientStockError, type StockShortfall } from '../errors.js';
import type { EventPayload } from '../events/catalog.js';
import type { GuardedBatch, ReadModelGuard } from '../read-models/read-model-guard.js';
import { toNumber } from '../read-models/row-values.js';

/**
 * Metadata key (value `true`) of the `inventory.reserved` events that must
 * not take `available` below zero.
 *
 * @example
 * ```ts
 * commerceEvent('inventory.reserved', payload, { metadata: { [STOCK_GUARD_METADATA]: true } });
 * ```
 */
export const STOCK_GUARD_METADATA = 'stockGuard';

function productKey(creatorId: unknown, productId: unknown): string {
  return JSON.stringify([String(creatorId), String(productId)]);
}

function isGuarded(event: StoredEvent): boolean {
  return event.type === 'inventory.reserved' && event.metadata[STOCK_GUARD_METADATA] === true;
}

/**
 * The guard, for a read-model set that includes `inventory_levels`.
 *
 * @example
 * ```ts
 * new ReadModelSet({ store, name: 'commerce', definitions, guards: [stockGuard] });
 * ```
 */
export const stockGuard: ReadModelGuard = ({ events, changes }: GuardedBatch) => {
  // Units each order reserved under the guard, per product.
  const byOrder = new Map<string, Map<string, { productId: string; units: number }>>();
  for (const event of events) {
    if (!isGuarded(event)) continue;
    const d = event.data as EventPayload<'inventory.reserved'>;
    const lines = byOrder.get(d.orderId) ?? new Map<string, { productId: string; units: number }>();
    const key = productKey(d.creatorId, d.productId);
    const line = lines.get(key) ?? { productId: d.productId, units: 0 };
    line.units += d.quantity;
    lines.set(key, line);
    byOrder.set(d.orderId, lines);
  }
  if (byOrder.size === 0) return;
  // The level of each product after the whole batch: its last change.
  const available = new Map<string, number>();
  for (const change of changes) {
    if (change.table !== 'inventory_levels') continue;
    const row = change.newRow;
    const key = productKey(change.key['creator_id'], change.key['product_id']);
    available.set(key, row === null ? 0 : toNumber(row['available']));
  }
  for (const [orderId, lines] of byOrder) {
    const shortfalls: StockShortfall[] = [];
    for (const [key, line] of lines) {
      const after = available.get(key) ?? 0;
      if (after >= 0) continue;
      // What was there for this order: the level before its own units.
      shortfalls.push({ productId: line.productId, requested: line.units, available: after + line.units });
    }
    if (shortfalls.length > 0) throw new InsufficientStockError(orderId, shortfalls);
  }
};
