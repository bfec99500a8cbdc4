/**
 * Turn a verified tracking update into order events.
 */
import { commerceEvent } from '../../events/catalog.js';
import type { NewEvent } from '../../../store/types.js';
import type { TrackingUpdate } from './webhook-schemas.js';

/**
 * Map a tracking update: `picked_up` / `in_transit` → `order.shipped`,
 * `delivered` → `order.delivered`; other statuses carry no order transition
 * and map to no event. The carrier's time is `shippedAt` / `deliveredAt` in
 * the payload; the events get no `occurredAt`, so the store stamps the receive
 * time (a sender's clock must not pick the log's partition).
 *
 * @example
 * ```ts
 * mapTrackingUpdate('shippo', update, new Date().toISOString()) // [{ type: 'order.shipped', … }]
 * ```
 */
export function mapTrackingUpdate(
  provider: string,
  update: TrackingUpdate,
  fallbackTime: string,
): NewEvent[] {
  const when = update.occurred_at ?? fallbackTime;
  const base = { creatorId: update.creator_id, orderId: update.order_id };
  switch (update.status) {
    case 'picked_up':
    case 'in_transit':
      return [
        commerceEvent('order.shipped', {
          ...base,
          provider,
          trackingNumber: update.tracking_number,
          shippedAt: when,
          ...(update.carrier === undefined ? {} : { carrier: update.carrier }),
        }),
      ];
    case 'delivered':
      return [
        commerceEvent('order.delivered', {
          ...base,
          provider,
          trackingNumber: update.tracking_number,
          deliveredAt: when,
        }),
      ];
    default:
      return [];
  }
}
