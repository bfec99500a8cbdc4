/**
 * The state of each entity before its window — the base its reports are
 * resolved against — read from the read models: stock on hand, an order's
 * status, amount and refunds. One read per table for any number of entities.
 */
import type { JsonObject } from '../../conflicts/json.js';
import type { CommerceOrderRow } from '../read-models/commerce-orders.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import { entityKey, type OpenEntity } from './contender-staging.js';

/**
 * The entities' states before their windows, from the read models: one read per table.
 * Keyed by {@link entityKey}; an entity the read models do not hold has only its creator.
 *
 * @example
 * ```ts
 * const bases = await readBases(readModels, [{ creatorId: 'c1', entityType: 'inventory', entityId: 'p1' }]);
 * bases.get(entityKey(entity)); // { creatorId: 'c1', quantity: 8 }
 * ```
 */
export async function readBases(
  readModels: ReadModelSet,
  entities: readonly Omit<OpenEntity, 'anchorMs'>[],
): Promise<Map<string, JsonObject>> {
  const bases = new Map<string, JsonObject>();
  for (const e of entities) bases.set(entityKey(e), { creatorId: e.creatorId });
  const stock = entities.filter((e) => e.entityType === 'inventory');
  const orders = entities.filter((e) => e.entityType === 'order');
  const [levels, orderRows] = await Promise.all([
    stock.length === 0
      ? new Map()
      : readModels
          .table('inventory_levels')
          .load(stock.map((e) => ({ creator_id: e.creatorId, product_id: e.entityId }))),
    orders.length === 0
      ? new Map()
      : readModels
          .table('commerce_orders')
          .load(orders.map((e) => ({ creator_id: e.creatorId, order_id: e.entityId }))),
  ]);
  for (const row of levels.values() as Iterable<InventoryLevelRow>) {
    const base = bases.get(
      entityKey({ creatorId: row.creator_id, entityType: 'inventory', entityId: row.product_id }),
    );
    if (base) base.quantity = Number(row.on_hand);
  }
  for (const row of orderRows.values() as Iterable<CommerceOrderRow>) {
    const base = bases.get(
      entityKey({ creatorId: row.creator_id, entityType: 'order', entityId: row.order_id }),
    );
    if (!base) continue;
    base.status = row.status;
    if (row.amount !== null) base.totalAmount = Number(row.amount);
    base.refundedAmount = Number(row.refunded_amount);
  }
  return bases;
}
