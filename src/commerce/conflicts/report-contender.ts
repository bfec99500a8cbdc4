/**
 * A stored report as a contender of the conflict engine, staged for its window.
 */
import type { JsonObject } from '../../conflicts/json.js';
import type { ContenderInput } from '../../conflicts/types.js';
import type { StoredEvent } from '../../store/types.js';
import type { SettledEntityType, StagedContender } from './contender-staging.js';
import { STOCK_REPORTED_EVENT, type OrderReported, type StockReported } from './report-events.js';

/**
 * A report as a contender: its source time on an HLC, its value as an absolute change.
 *
 * @example
 * ```ts
 * const staged = toStaged(storedStockReport); // staged.contender.changes -> { quantity: 8 }
 * ```
 */
export function toStaged(event: StoredEvent): StagedContender {
  const stock = event.type === STOCK_REPORTED_EVENT;
  const d = event.data as StockReported | OrderReported;
  const reportedMs = Date.parse(d.reportedAt);
  const changes: JsonObject = {};
  let entityId: string;
  if (stock) {
    const s = d as StockReported;
    entityId = s.productId;
    changes.quantity = s.quantity;
  } else {
    const o = d as OrderReported;
    entityId = o.orderId;
    if (o.status !== undefined) changes.status = o.status;
    if (o.totalAmount !== undefined) changes.totalAmount = o.totalAmount;
    if (o.refundedAmount !== undefined) changes.refundedAmount = o.refundedAmount;
    if (o.orderTotal !== undefined) changes.orderTotal = o.orderTotal;
  }
  const entityType: SettledEntityType = stock ? 'inventory' : 'order';
  const contender: ContenderInput = {
    entityType,
    entityId,
    source: d.source,
    sourceId: d.sourceId,
    eventId: event.id,
    hlc: { wallMs: reportedMs, logical: 0, node: d.sourceId },
    changes,
  };
  return {
    eventId: event.id,
    creatorId: d.creatorId,
    entityType,
    entityId,
    // A source clock ahead of ours cannot hold a window open: cut by the arrival then.
    atMs: Math.min(reportedMs, event.processedAt.getTime()),
    contender,
  };
}
