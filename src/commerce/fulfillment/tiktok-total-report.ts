/**
 * TikTok's order total as an `order.state_reported` contender of
 * `resolve-sync-conflicts` (source `tiktok_webhook`, priority 10), beside the
 * payment processor's capture that disagrees with it. TikTok's webhooks carry
 * no amounts: the total is the one the fulfillment saga charged for, read
 * from TikTok Shop (Get Order, or `order.received_from_tiktok`'s
 * `totalAmount`). It is reported only when the two figures are a case for a
 * person under the order policy's limits (more than 10 % apart, or either
 * over the order value limit): then the manual queue shows TikTok's figure as
 * TikTok's, against the processor's. Within every limit the capture's own
 * report settles the difference (the amount captured; TikTok's total stays in
 * the audit as its `orderTotal`), and agreeing figures add nothing.
 */
import type { EntityPolicy } from '../../conflicts/config.js';
import type { NewEvent } from '../../store/types.js';
import { TIKTOK_SOURCE } from '../conflicts/commerce-conflict-config.js';
import { orderStateReport } from '../ingest/order-state-report.js';

/**
 * TikTok's total as a report: `totalAmount` TikTok's figure, `sourceId` the
 * shop, `reportedAt` the capture report's (one window holds both).
 *
 * @example
 * ```ts
 * events.push(tiktokTotalReport({ creatorId: 'c1', orderId: 'o1', shopId: 'shop-1', orderTotal: 100, reportedAt }));
 * ```
 */
export function tiktokTotalReport(report: {
  creatorId: string;
  orderId: string;
  shopId: string;
  orderTotal: number;
  reportedAt: string;
}): NewEvent {
  return orderStateReport({
    creatorId: report.creatorId,
    orderId: report.orderId,
    totalAmount: report.orderTotal,
    source: TIKTOK_SOURCE,
    sourceId: report.shopId,
    reportedAt: report.reportedAt,
  });
}

/**
 * Whether TikTok's total is reported beside a capture: the two differ and
 * cross a limit of the policy on the captured field — the capture's
 * `deviationPercent` from TikTok's total (`amount_discrepancy`, > 10 %), or a
 * `'maximum'` (`order_value`, > $1000) by either figure. Measured as the
 * engine measures (strictly greater; `distance*100 > pct*reference`).
 *
 * @example
 * ```ts
 * tiktokTotalMatters({ captured: 80, orderTotal: 100 }, orderReportPolicy()); // true (20 %)
 * tiktokTotalMatters({ captured: 95, orderTotal: 100 }, orderReportPolicy()); // false (settled to the capture)
 * ```
 */
export function tiktokTotalMatters(
  capture: { captured: number; orderTotal: number },
  policy: Readonly<EntityPolicy>,
): boolean {
  const { captured, orderTotal } = capture;
  if (captured === orderTotal) return false;
  for (const limit of policy.limits) {
    // The report's fields: the capture in `totalAmount`, TikTok's total in `orderTotal` beside it.
    if (limit.field !== 'totalAmount') continue;
    if (limit.measure === 'maximum' && Math.max(captured, orderTotal) > limit.limit) return true;
    if (limit.measure === 'deviationPercent' && limit.reference === 'orderTotal') {
      const distance = Math.abs(captured - orderTotal);
      if (orderTotal <= 0 || distance * 100 > limit.limit * orderTotal) return true;
    }
  }
  return false;
}
