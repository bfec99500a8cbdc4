/**
 * The order-cancellation saga, started when the buyer, the seller or TikTok
 * cancels an order: release_inventory → refund_payment → restock_shipped,
 * with the compensation restore_reservation. Stock comes back and money goes
 * back: what the order still holds is released at once; what it paid is
 * refunded through the payment port; what its shipment took goes back on the
 * shelf once the money is back. A refund the processor refuses ends the saga
 * compensated: the order's reservations are restored, since a cancellation
 * whose money is not settled is not final, and a person takes over.
 */
import { z } from 'zod';
import {
  TerminalError,
  defineSaga,
  type CompensationContext,
  type SagaDefinition,
  type StepContext,
} from '../../sagas/index.js';
import type { EntityPolicy } from '../../conflicts/config.js';
import type { EventStore, NewEvent, StoredEvent } from '../../store/types.js';
import { CANCELLED_BY } from '../events/order-events.js';
import { idSchema } from '../events/common.js';
import { commerceEvent, type EventPayload } from '../events/catalog.js';
import { isPermanentCommerceError, ProviderRejectedError } from '../errors.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import { orderStream } from '../inventory/streams.js';
import type { PaymentGateway } from '../ports/payment-gateway.js';
import { orderReportPolicy, refundMatters, refundReport } from './payment-report.js';
import { checkingSagaActor, sagaActorMetadata, sagaActorOf, sagaActorSchema } from './saga-actor.js';

/** The saga's definition name (stored with every instance: keep it stable). */
export const ORDER_CANCELLATION_SAGA = 'commerce_order_cancellation';

/** The metadata `source` of the saga's events. */
export const CANCELLATION_SAGA_SOURCE = 'order_cancellation_saga';

/** Steps, in order. */
export const ORDER_CANCELLATION_STEPS = ['release_inventory', 'refund_payment', 'restock_shipped'] as const;

/** Input of the saga (from `order.cancelled`). */
export const orderCancellationInputSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  cancelledBy: z.enum(CANCELLED_BY),
  /**
   * Who started the saga (`actorOf(principal)`, or the actor recorded on the
   * `order.cancelled` that triggered it), recorded on every event it writes;
   * default the system principal `system:saga:commerce_order_cancellation`.
   * Stored with the input, so a resumed or taken-over saga keeps it.
   */
  actor: sagaActorSchema.optional(),
});
/** Input of the saga. */
export type OrderCancellationInput = z.infer<typeof orderCancellationInputSchema>;

/** What the saga needs. */
export interface OrderCancellationDeps {
  store: EventStore;
  inventory: InventoryService;
  payments: PaymentGateway;
  /**
   * Report the refund as `order.state_reported` (source `payment_processor`,
   * `refundedAmount` the refunds so far) in the append of `order.refunded`
   * (`createCommerce`'s `reportOrderState`) when a rule of `reportPolicy`
   * could act on it (payment-report.ts `refundMatters`). Default false.
   */
  reportOrderState?: boolean;
  /**
   * The order policy the reports are settled under (`createCommerce` passes
   * its processor's). Default: commerce's (`orderReportPolicy()`).
   */
  reportPolicy?: Readonly<EntityPolicy>;
}

/**
 * The idempotency key of an order's refund, shared by every path that refunds a
 * cancelled order (this saga and the fulfillment saga's compensation), so the
 * provider refunds once however many paths try.
 *
 * @example
 * ```ts
 * orderRefundKey('c1', 'o1', 'pay_1') // 'order-refund:c1:o1:pay_1'
 * ```
 */
export function orderRefundKey(creatorId: string, orderId: string, paymentId: string): string {
  return `order-refund:${creatorId}:${orderId}:${paymentId}`;
}

/**
 * What an order still owes its buyer: its captured payment minus the refunds
 * recorded on its stream (null when it was never paid or is refunded in full),
 * what was refunded before (`refunded`) and what the payment captured
 * (`captured`).
 *
 * @example
 * ```ts
 * const due = refundDue((await store.readStream(orderStream('c1', 'o1'))).events);
 * ```
 */
export function refundDue(
  events: readonly StoredEvent[],
): { paymentId: string; amount: number; currency: string; refunded: number; captured: number } | null {
  let paid: EventPayload<'order.payment_processed'> | undefined;
  let refundedCents = 0;
  for (const e of events) {
    if (e.type === 'order.payment_processed') paid = e.data as EventPayload<'order.payment_processed'>;
    else if (e.type === 'order.refunded')
      refundedCents += Math.round((e.data as EventPayload<'order.refunded'>).amount * 100);
  }
  if (!paid) return null;
  const dueCents = Math.round(paid.amount * 100) - refundedCents;
  if (dueCents <= 0) return null;
  return {
    paymentId: paid.paymentId,
    amount: dueCents / 100,
    currency: paid.currency,
    refunded: refundedCents / 100,
    captured: paid.amount,
  };
}

/**
 * Refund what an order still owes through the port and record it as
 * `order.refunded`, both under {@link orderRefundKey}. Returns the amount refunded.
 *
 * @example
 * ```ts
 * await refundOrder({ store, payments }, { creatorId: 'c1', orderId: 'o1', reason: 'cancelled by buyer' });
 * ```
 */
export async function refundOrder(
  deps: {
    store: EventStore;
    payments: PaymentGateway;
    reportOrderState?: boolean;
    reportPolicy?: Readonly<EntityPolicy>;
  },
  request: {
    creatorId: string;
    orderId: string;
    reason: string;
    signal?: AbortSignal;
    metadata?: Record<string, unknown>;
  },
): Promise<number> {
  const { creatorId, orderId } = request;
  const stream = orderStream(creatorId, orderId);
  const due = refundDue((await deps.store.readStream(stream)).events);
  if (!due) return 0;
  const idempotencyKey = orderRefundKey(creatorId, orderId, due.paymentId);
  const { refundId } = await deps.payments.refund({
    creatorId,
    orderId,
    paymentId: due.paymentId,
    amount: due.amount,
    currency: due.currency,
    idempotencyKey,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const events: NewEvent[] = [
    commerceEvent('order.refunded', {
      creatorId,
      orderId,
      amount: due.amount,
      currency: due.currency,
      reason: request.reason,
    }),
  ];
  // Under the refund key: whichever path appends first reports it, once (if a rule could act on it).
  if (deps.reportOrderState === true) {
    const refundedSoFar = (Math.round(due.refunded * 100) + Math.round(due.amount * 100)) / 100;
    const policy = deps.reportPolicy ?? orderReportPolicy();
    if (refundMatters({ refundedSoFar, captured: due.captured }, policy))
      events.push(refundReport({ creatorId, orderId, refundId, refundedSoFar }));
  }
  await deps.store.append(stream, events, {
    aggregateType: 'order',
    idempotencyKey,
    ...(request.metadata ? { metadata: request.metadata } : {}),
  });
  return due.amount;
}

/** Units per product this saga released (read back from the stream, so a lost reply loses nothing). */
function releasedBy(events: readonly StoredEvent[], sagaId: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'inventory.released' || e.metadata.correlationId !== sagaId) continue;
    const d = e.data as EventPayload<'inventory.released'>;
    if (d.reason !== 'cancelled') continue;
    out.set(d.productId, (out.get(d.productId) ?? 0) + d.quantity);
  }
  return out;
}

/**
 * Build the saga over its ports.
 *
 * @example
 * ```ts
 * const saga = orderCancellationSaga({ store, inventory, payments });
 * await runner.start(saga, { creatorId: 'c1', orderId: 'o1', cancelledBy: 'buyer' });
 * ```
 */
export function orderCancellationSaga(deps: OrderCancellationDeps): SagaDefinition<OrderCancellationInput> {
  const { store, inventory, payments } = deps;
  const reportOrderState = deps.reportOrderState === true;
  const reportPolicy = reportOrderState ? (deps.reportPolicy ?? orderReportPolicy()) : undefined;
  const meta = (ctx: StepContext<OrderCancellationInput>) => ({
    source: CANCELLATION_SAGA_SOURCE,
    correlationId: ctx.sagaId,
    ...sagaActorMetadata(ORDER_CANCELLATION_SAGA, ctx.input),
  });
  const definition = defineSaga<OrderCancellationInput>({
    name: ORDER_CANCELLATION_SAGA,
    input: orderCancellationInputSchema,
    steps: [
      {
        name: 'release_inventory',
        action: async (ctx) => ({
          units: await inventory.release({
            creatorId: ctx.input.creatorId,
            orderId: ctx.input.orderId,
            reason: 'cancelled',
            actor: sagaActorOf(ORDER_CANCELLATION_SAGA, ctx.input),
            metadata: meta(ctx),
          }),
        }),
        compensation: {
          name: 'restore_reservation',
          run: async (ctx: CompensationContext<OrderCancellationInput>) => {
            const { creatorId, orderId } = ctx.input;
            const { events } = await store.readStream(orderStream(creatorId, orderId));
            const released = releasedBy(events, ctx.sagaId);
            if (released.size === 0) return;
            // The key makes a retried compensation write once.
            await store.append(
              orderStream(creatorId, orderId),
              [...released].map(([productId, quantity]) =>
                commerceEvent('inventory.reserved', { creatorId, orderId, productId, quantity }),
              ),
              { aggregateType: 'order', idempotencyKey: ctx.idempotencyKey, metadata: meta(ctx) },
            );
          },
        },
      },
      {
        name: 'refund_payment',
        action: async (ctx) => {
          try {
            return {
              refunded: await refundOrder(
                { store, payments, reportOrderState, ...(reportPolicy ? { reportPolicy } : {}) },
                {
                  creatorId: ctx.input.creatorId,
                  orderId: ctx.input.orderId,
                  reason: `cancelled by ${ctx.input.cancelledBy}`,
                  signal: ctx.signal,
                  metadata: meta(ctx),
                },
              ),
            };
          } catch (err) {
            if (!isPermanentCommerceError(err)) throw err; // retried
            const effect = err instanceof ProviderRejectedError && err.mayHaveActed ? 'unknown' : 'none';
            throw new TerminalError((err as Error).message, { cause: err, effect });
          }
        },
        // Money sent back cannot be called back: nothing to undo.
        compensation: 'none',
      },
      {
        name: 'restock_shipped',
        action: async (ctx) => ({
          units: await inventory.returnShipped({
            creatorId: ctx.input.creatorId,
            orderId: ctx.input.orderId,
            actor: sagaActorOf(ORDER_CANCELLATION_SAGA, ctx.input),
            metadata: meta(ctx),
          }),
        }),
        compensation: 'none',
      },
    ],
  });
  return checkingSagaActor(definition);
}
