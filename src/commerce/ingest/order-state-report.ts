/**
 * What a TikTok order-status webhook or a carrier's tracking update says about
 * an order, as an `order.state_reported` contender of `resolve-sync-conflicts`
 * (when the host runs the commerce with conflicts). The receivers append it
 * beside their lifecycle events, in the same append.
 */
import type { TikTokOrderStatus } from '../events/common.js';
import { ORDER_REPORTED_EVENT, type OrderReported } from '../conflicts/report-events.js';
import type { OrderStatus } from '../read-models/commerce-orders.js';
import type { EventMetadata, NewEvent } from '../../store/types.js';

/**
 * TikTok's order statuses in our lifecycle. `UNPAID` and `ON_HOLD` report
 * nothing: the order is not ours to fulfil before `AWAITING_SHIPMENT`, and no
 * other source speaks of it then. A label arranged (`AWAITING_COLLECTION`) is
 * `shipped`, as our own `order.shipped` is written when the label is created.
 *
 * @example
 * ```ts
 * TIKTOK_REPORTED_STATUS.CANCELLED // 'cancelled'
 * ```
 */
export const TIKTOK_REPORTED_STATUS: Readonly<Record<TikTokOrderStatus, OrderStatus | undefined>> =
  Object.freeze({
    UNPAID: undefined,
    ON_HOLD: undefined,
    AWAITING_SHIPMENT: 'received',
    AWAITING_COLLECTION: 'shipped',
    PARTIALLY_SHIPPING: 'shipped',
    IN_TRANSIT: 'shipped',
    DELIVERED: 'delivered',
    COMPLETED: 'delivered',
    CANCELLED: 'cancelled',
  });

/**
 * An `order.state_reported` event for a receiver's append. No id and no
 * `occurredAt`: the store assigns the id and stamps the receive time;
 * `reportedAt` is the source's own (bounds-checked) time.
 *
 * @example
 * ```ts
 * events.push(orderStateReport({ creatorId: 'c1', orderId: 'o1', status: 'delivered',
 *   source: 'shipping_provider', sourceId: 'shippo', reportedAt: deliveredAt }));
 * ```
 */
export function orderStateReport(
  data: OrderReported,
  metadata: EventMetadata = {},
): NewEvent<typeof ORDER_REPORTED_EVENT, OrderReported> {
  return { type: ORDER_REPORTED_EVENT, data, metadata };
}
