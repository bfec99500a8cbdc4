/**
 * The event the read models fold for a settled window: `inventory.stock_updated`
 * with the resolved stock, or `order.reconciled` with the resolved status and
 * amount. One builder for lone reports, automatic resolutions and admin
 * decisions, so every path reaches the read models the same way.
 */
import type { JsonObject } from '../../conflicts/json.js';
import type { NewEvent } from '../../store/types.js';
import { commerceEvent } from '../events/catalog.js';
import { inventoryStream, orderStream } from '../inventory/streams.js';
import { ORDER_STATUSES, type OrderStatus } from '../read-models/commerce-orders.js';
import type { SettledEntityType } from './contender-staging.js';
import { ORDER_RECONCILED_EVENT, type OrderReconciled } from './report-events.js';

/** Where an outcome goes and what it says; null when it says nothing the read models hold. */
export interface SettledOutcome {
  streamId: string;
  aggregateType: SettledEntityType;
  event: NewEvent;
}

/**
 * The outcome event of a settled entity state.
 *
 * @example
 * ```ts
 * settledOutcome('inventory', 'c1', 'p1', { quantity: 8 }, { quantity: 10 }) // inventory.stock_updated 8
 * settledOutcome('order', 'c1', 'o1', { status: 'delivered' }, { status: 'cancelled' }, conflictId, 'admin-1')
 * ```
 */
export function settledOutcome(
  entityType: SettledEntityType,
  creatorId: string,
  entityId: string,
  after: JsonObject,
  before: JsonObject,
  conflictId?: string,
  decidedBy?: string,
): SettledOutcome | null {
  if (entityType === 'inventory') {
    const quantity = after.quantity;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 0) return null;
    const previous = before.quantity;
    return {
      streamId: inventoryStream(creatorId, entityId),
      aggregateType: 'inventory',
      event: commerceEvent('inventory.stock_updated', {
        creatorId,
        productId: entityId,
        quantity,
        ...(typeof previous === 'number' && Number.isInteger(previous) && previous >= 0
          ? { previousQuantity: previous }
          : {}),
        reason: 'sync',
      }),
    };
  }
  const data: OrderReconciled = { creatorId, orderId: entityId };
  if (typeof after.status === 'string' && (ORDER_STATUSES as readonly string[]).includes(after.status))
    data.status = after.status as OrderStatus;
  if (typeof after.totalAmount === 'number' && after.totalAmount >= 0) data.totalAmount = after.totalAmount;
  if (typeof after.refundedAmount === 'number' && after.refundedAmount >= 0)
    data.refundedAmount = after.refundedAmount;
  if (data.status === undefined && data.totalAmount === undefined && data.refundedAmount === undefined)
    return null;
  if (conflictId !== undefined) data.conflictId = conflictId;
  if (decidedBy !== undefined) data.decidedBy = decidedBy;
  return {
    streamId: orderStream(creatorId, entityId),
    aggregateType: 'order',
    event: { type: ORDER_RECONCILED_EVENT, data },
  };
}
