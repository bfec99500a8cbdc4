/**
 * Turn a verified tracking update into order events.
 */
import { commerceEvent } from '../../events/catalog.js';
import type { NewEvent } from '../../../store/types.js';
import type { OrderStatus } from '../../read-models/commerce-orders.js';
import { orderStateReport } from '../order-state-report.js';
import type { TrackingUpdate } from './webhook-schemas.js';

/**
 * Map a tracking update: `picked_up` / `in_transit` → `order.shipped`,
 * `delivered` → `order.delivered`; other statuses carry no order transition
 * and map to no event. The carrier's time is `shippedAt` / `deliveredAt` in
 * the payload; the events get no `occurredAt`, so the store stamps the receive
 * time (a sender's clock must not pick the log's partition). With
 * `reportOrderState`, the transition is also reported as `order.state_reported`
 * (source `shipping_provider`, `sourceId` the provider, `reportedAt` the
 * carrier's time), a contender of `resolve-sync-conflicts`.
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
  options: { reportOrderState?: boolean } = {},
): NewEvent[] {
  const when = update.occurred_at ?? fallbackTime;
  const base = { creatorId: update.creator_id, orderId: update.order_id };
  let transition: NewEvent;
  let status: OrderStatus;
  switch (update.status) {
    case 'picked_up':
    case 'in_transit':
      status = 'shipped';
      transition = commerceEvent('order.shipped', {
        ...base,
        provider,
        trackingNumber: update.tracking_number,
        shippedAt: when,
        ...(update.carrier === undefined ? {} : { carrier: update.carrier }),
      });
      break;
    case 'delivered':
      status = 'delivered';
      transition = commerceEvent('order.delivered', {
        ...base,
        provider,
        trackingNumber: update.tracking_number,
        deliveredAt: when,
      });
      break;
    default:
      return [];
  }
  if (options.reportOrderState !== true) return [transition];
  const report = orderStateReport({
    ...base,
    status,
    source: 'shipping_provider',
    sourceId: provider,
    reportedAt: when,
  });
  return [transition, report];
}
