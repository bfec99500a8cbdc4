/**
 * What the payment processor said, as an `order.state_reported` contender of
 * `resolve-sync-conflicts`: the amount a charge captured (beside the order's
 * TikTok total it was asked for) and the amount refunded so far. The sagas
 * append it in the same append as `order.payment_processed` /
 * `order.refunded`, under the step's idempotency key, so a retried step or a
 * second refund path reports once.
 */
import type { NewEvent } from '../../store/types.js';
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
}): NewEvent {
  return orderStateReport({
    creatorId: capture.creatorId,
    orderId: capture.orderId,
    totalAmount: capture.captured,
    orderTotal: capture.orderTotal,
    source: PAYMENT_SOURCE,
    sourceId: capture.paymentId,
    reportedAt: new Date().toISOString(),
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
