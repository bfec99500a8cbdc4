/**
 * What the payment processor said, as an `order.state_reported` contender of
 * `resolve-sync-conflicts`: the amount a charge captured (beside the order's
 * TikTok total it was asked for) and the amount refunded so far. The sagas
 * append it in the same append as `order.payment_processed` /
 * `order.refunded`, under the step's idempotency key, so a retried step or a
 * second refund path reports once.
 *
 * Only a figure one of the order policy's rules could act on is reported
 * ({@link captureMatters}, {@link refundMatters}): a capture equal to the
 * order total, or a refund under every limit of an order under every limit,
 * changes nothing the lifecycle event has not already put in
 * `commerce_orders`, and would cost a staged contender and a settled window.
 */
import { createConflictConfig, policyFor, type EntityPolicy } from '../../conflicts/config.js';
import type { NewEvent } from '../../store/types.js';
import {
  commerceConflictConfig,
  withRefundsOnOrders,
  type CommerceConflictConfigInput,
} from '../conflicts/commerce-conflict-config.js';
import { loneReportNeedsRules } from '../conflicts/lone-report.js';
import { orderStateReport } from '../ingest/order-state-report.js';

/** The processor's source name (priority 9). */
const PAYMENT_SOURCE = 'payment_processor';

/**
 * A capture as a report: `totalAmount` what was captured, `orderTotal` the
 * order's TikTok total the charge was requested for (more than 10 % apart,
 * or an order over $1000, goes to the manual queue), `sourceId` the payment.
 *
 * @example
 * ```ts
 * events.push(captureReport({ creatorId: 'c1', orderId: 'o1', paymentId: 'pay_1', captured: 40, orderTotal: 40 }));
 * ```
 */
export function captureReport(capture: {
  creatorId: string;
  orderId: string;
  paymentId: string;
  captured: number;
  orderTotal: number;
  /** The processor's reply time; default now. */
  reportedAt?: string;
}): NewEvent {
  return orderStateReport({
    creatorId: capture.creatorId,
    orderId: capture.orderId,
    totalAmount: capture.captured,
    orderTotal: capture.orderTotal,
    source: PAYMENT_SOURCE,
    sourceId: capture.paymentId,
    reportedAt: capture.reportedAt ?? new Date().toISOString(),
  });
}

/**
 * A refund as a report: `refundedAmount` the order's refunds so far, this one
 * included (over $500 goes to the manual queue), `sourceId` the refund.
 *
 * @example
 * ```ts
 * events.push(refundReport({ creatorId: 'c1', orderId: 'o1', refundId: 're_1', refundedSoFar: 40 }));
 * ```
 */
export function refundReport(refund: {
  creatorId: string;
  orderId: string;
  refundId: string;
  refundedSoFar: number;
}): NewEvent {
  return orderStateReport({
    creatorId: refund.creatorId,
    orderId: refund.orderId,
    refundedAmount: refund.refundedSoFar,
    source: PAYMENT_SOURCE,
    sourceId: refund.refundId,
    reportedAt: new Date().toISOString(),
  });
}

/**
 * The order policy `resolve-sync-conflicts` settles the processor's reports
 * under, for a commerce configured with `config` (default: commerce's
 * thresholds, refunds on orders).
 *
 * @example
 * ```ts
 * captureMatters({ captured: 40, orderTotal: 40 }, orderReportPolicy()); // false
 * ```
 */
export function orderReportPolicy(config: CommerceConflictConfigInput = {}): Readonly<EntityPolicy> {
  return policyFor(createConflictConfig(commerceConflictConfig(withRefundsOnOrders(config))), 'order');
}

/**
 * Whether a capture is worth a report: it differs from the order total it
 * was asked for (the `amount_discrepancy` rule measures it, a few cents as
 * much as 20 %), or it is over a `'maximum'` limit (an order over $1000
 * escalates a window it is in while the order is not shipped). An equal
 * capture under the limits would be settled to the amount
 * `order.payment_processed` already set, so it is not reported.
 *
 * @example
 * ```ts
 * if (captureMatters({ captured: 38, orderTotal: 40 }, policy)) events.push(captureReport({ ... }));
 * ```
 */
export function captureMatters(
  capture: { captured: number; orderTotal: number },
  policy: Readonly<EntityPolicy>,
): boolean {
  return loneReportNeedsRules({ totalAmount: capture.captured, orderTotal: capture.orderTotal }, policy);
}

/**
 * Whether a refund is worth a report: the refunds so far are over a
 * `'maximum'` limit (over $500: `payment_amount`), or the order's captured
 * amount is (over $1000: `order_value`, which the rules read from the order
 * as well as from the reports, so a refund in a window beside another report
 * escalates it while the order is not shipped). Any other refund would be
 * settled to the `refunded_amount` `order.refunded` already set.
 *
 * @example
 * ```ts
 * if (refundMatters({ refundedSoFar: 600, captured: 600 }, policy)) events.push(refundReport({ ... }));
 * ```
 */
export function refundMatters(
  refund: { refundedSoFar: number; captured: number },
  policy: Readonly<EntityPolicy>,
): boolean {
  return loneReportNeedsRules({ refundedAmount: refund.refundedSoFar, totalAmount: refund.captured }, policy);
}
