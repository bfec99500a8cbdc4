/**
 * The order-fulfillment saga: validate_order → allocate_inventory →
 * process_payment → generate_shipping_label → update_tiktok_status, with the
 * compensations mark_order_failed, release_inventory, refund_payment and
 * cancel_shipping. Every step writes its outcome as catalog events on the
 * order's stream with the step's idempotency key, so a retried step never
 * writes twice.
 */
import { z } from 'zod';
import {
  TerminalError,
  defineSaga,
  type CompensationContext,
  type SagaDefinition,
  type StepContext,
} from '../../sagas/index.js';
import { isConcurrencyError } from '../../core/errors.js';
import type { EntityPolicy } from '../../conflicts/config.js';
import type { AppendOptions, EventStore, NewEvent } from '../../store/types.js';
import { amountSchema, currencySchema, idSchema, positiveQuantitySchema } from '../events/common.js';
import { commerceEvent } from '../events/catalog.js';
import { OrderInvalidError, ProviderRejectedError, isPermanentCommerceError } from '../errors.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import { orderStream } from '../inventory/streams.js';
import type { PaymentGateway } from '../ports/payment-gateway.js';
import type { ShippingLabel, ShippingProvider } from '../ports/shipping-provider.js';
import type { TikTokShopClient } from '../ports/tiktok-shop-client.js';
import { FULFILLMENT_SAGA_SOURCE } from '../read-models/commerce-orders.js';
import { CancellationWatch } from './cancellation-watch.js';
import { orderRefundKey } from './order-cancellation-saga.js';
import {
  captureMatters,
  captureReport,
  orderReportPolicy,
  refundMatters,
  refundReport,
} from './payment-report.js';
import { checkingSagaActor, sagaActorMetadata, sagaActorOf, sagaActorSchema } from './saga-actor.js';
import { tiktokTotalMatters, tiktokTotalReport } from './tiktok-total-report.js';

/** The saga's definition name (stored with every instance: keep it stable). */
export const ORDER_FULFILLMENT_SAGA = 'commerce_order_fulfillment';

/** Steps, in order. */
export const ORDER_FULFILLMENT_STEPS = [
  'validate_order',
  'allocate_inventory',
  'process_payment',
  'generate_shipping_label',
  'update_tiktok_status',
] as const;

/** Compensations, in the order they would run after the last step failed. */
export const ORDER_FULFILLMENT_COMPENSATIONS = [
  'cancel_shipping',
  'refund_payment',
  'release_inventory',
  'mark_order_failed',
] as const;

/** Input of the saga (from `order.received_from_tiktok`). */
export const orderFulfillmentInputSchema = z.object({
  creatorId: idSchema,
  shopId: idSchema,
  orderId: idSchema,
  lineItems: z.array(z.object({ productId: idSchema, quantity: positiveQuantitySchema })).optional(),
  totalAmount: amountSchema.optional(),
  currency: currencySchema.optional(),
  /**
   * The order stream's version up to which it held no cancellation and no
   * inventory event when the trigger saw it (its page held the whole stream):
   * validate_order then appends at that version instead of reading the stream.
   */
  cleanThrough: z.number().int().positive().optional(),
  /**
   * Who started the saga (`actorOf(principal)`, or the actor of the event that
   * triggered it), recorded on every event it writes; default the system
   * principal `system:saga:commerce_order_fulfillment`. Stored with the input,
   * so a resumed or taken-over saga keeps it.
   */
  actor: sagaActorSchema.optional(),
});
/** Input of the saga. */
export type OrderFulfillmentInput = z.infer<typeof orderFulfillmentInputSchema>;

/** What validate_order returns (later steps read it). */
interface ValidatedOrder {
  lines: { productId: string; quantity: number }[];
  totalAmount: number;
  currency: string;
  /** The order stream holds no cancellation and no inventory event up to this version (later checks read after it). */
  cleanThrough?: number;
}

/** What the saga needs. */
export interface OrderFulfillmentDeps {
  store: EventStore;
  inventory: InventoryService;
  payments: PaymentGateway;
  shipping: ShippingProvider;
  tiktok: TikTokShopClient;
  /**
   * Report what the payment processor captured and refunded as
   * `order.state_reported` (source `payment_processor`), in the append of
   * `order.payment_processed` / `order.refunded`, for `resolve-sync-conflicts`
   * (`createCommerce`'s `reportOrderState`). Default false: the appends are
   * exactly what they were without it. Only figures a rule of `reportPolicy`
   * could act on are reported: a capture that differs from the order total
   * or is over a limit, a refund over a limit or of an order over one
   * (payment-report.ts); beside a capture more than 10 % off TikTok's total,
   * or disagreeing with it over $1000, TikTok's total as its own report
   * (source `tiktok_webhook`, tiktok-total-report.ts).
   */
  reportOrderState?: boolean;
  /**
   * The order policy the reports are settled under (`createCommerce` passes
   * its processor's). Default: commerce's (`orderReportPolicy()`).
   */
  reportPolicy?: Readonly<EntityPolicy>;
}

/** Permanent failures end the step at once (and start compensation); others are retried. */
async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isPermanentCommerceError(err)) {
      // A provider refusing a key it already holds may have acted on the first request.
      const effect = err instanceof ProviderRejectedError && err.mayHaveActed ? 'unknown' : 'none';
      throw new TerminalError((err as Error).message, { cause: err, effect });
    }
    throw err;
  }
}

/**
 * What a compensation undoes: the action's output, or — when the action's
 * reply was lost and its effect is unknown — what the provider holds under
 * the action's idempotency key (null: nothing happened). A provider that
 * cannot be asked makes the compensation fail, so it is dead-lettered for a
 * person instead of leaving a charge or a label behind silently.
 */
async function undoTarget<T>(
  ctx: CompensationContext<OrderFulfillmentInput>,
  what: string,
  find: (lookup: {
    creatorId: string;
    orderId: string;
    idempotencyKey: string;
    signal: AbortSignal;
  }) => Promise<T | null> | undefined,
): Promise<T | null> {
  if (ctx.actionOutcome === 'completed') return ctx.output as T;
  const { creatorId, orderId } = ctx.input;
  const pending = find({ creatorId, orderId, idempotencyKey: ctx.actionIdempotencyKey, signal: ctx.signal });
  if (pending === undefined) {
    throw new Error(
      `${ctx.compensatedStep} failed without a reply and the provider cannot look up its ${what} ` +
        `by idempotency key ${ctx.actionIdempotencyKey}; check it by hand`,
    );
  }
  return pending;
}

/**
 * Build the saga over its ports.
 *
 * @example
 * ```ts
 * const saga = orderFulfillmentSaga({ store, inventory, payments, shipping, tiktok });
 * runner.register(saga);
 * await runner.start(saga, { creatorId: 'c1', shopId: 's1', orderId: 'o1' });
 * ```
 */
export function orderFulfillmentSaga(deps: OrderFulfillmentDeps): SagaDefinition<OrderFulfillmentInput> {
  const { store, inventory, payments, shipping, tiktok } = deps;
  const reporting = deps.reportOrderState === true;
  const policy = reporting ? (deps.reportPolicy ?? orderReportPolicy()) : undefined;
  const meta = (ctx: StepContext<OrderFulfillmentInput>) => ({
    source: FULFILLMENT_SAGA_SOURCE,
    correlationId: ctx.sagaId,
    ...sagaActorMetadata(ORDER_FULFILLMENT_SAGA, ctx.input),
  });
  // Each guard reads only what was appended since the last look (or this saga's own append).
  const cancellations = new CancellationWatch(store);
  /** Append to the order's stream under the step's key (at `expectedVersion` when given). */
  const append = async (
    ctx: StepContext<OrderFulfillmentInput>,
    events: NewEvent[],
    expectedVersion?: number,
    completion: Pick<AppendOptions, 'joined'> = {},
  ) => {
    const streamId = orderStream(ctx.input.creatorId, ctx.input.orderId);
    const result = await store.append(streamId, events, {
      aggregateType: 'order',
      idempotencyKey: ctx.idempotencyKey,
      metadata: meta(ctx),
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
      ...completion,
    });
    cancellations.appended(streamId, result, events);
    return result;
  };
  /**
   * Append unless the order was cancelled, as the step's last write, and
   * return the step's output: `outputOf` the version the stream is then known
   * clean through. A stream known clean up to a version (the trigger's page)
   * is appended to at that version without a read: if it succeeds nothing
   * came in between, so no cancellation. A write in between (or a replay of
   * the key) reads what came after and decides; the append then goes at the
   * version read, or (after another write in between) anywhere, as before.
   */
  const appendUnlessCancelled = async <T>(
    ctx: StepContext<OrderFulfillmentInput>,
    events: NewEvent[],
    clean: number | undefined,
    outputOf: (cleanThrough: number | undefined) => T,
  ): Promise<T> => {
    const { creatorId, orderId } = ctx.input;
    const streamId = orderStream(creatorId, orderId);
    const outputNow = () => outputOf(cancellations.cleanThrough(streamId));
    let replayed = false;
    if (clean !== undefined) {
      const written = await appendAt(ctx, events, clean, outputOf);
      if (written.ok) return written.output;
      replayed = written.replayed;
    }
    const look = await cancellations.look(streamId);
    if (look.cancelled) throw new OrderInvalidError(orderId, 'the order was cancelled');
    if (replayed) return outputNow();
    // Just read: the append goes at the version read, its output known before it.
    const written = await appendAt(ctx, events, look.version, outputOf);
    if (written.ok) return written.output;
    if (!written.replayed) await append(ctx, events);
    return outputNow();
  };
  /**
   * Append at `version` with the step's completion in the append's statement:
   * written there, the stream is clean through its end when it was clean
   * through `version` (so the output is known before the append). Not
   * written: another write came in between, or the key's earlier append
   * answered (`replayed`; then no completion was written with it).
   */
  const appendAt = async <T>(
    ctx: StepContext<OrderFulfillmentInput>,
    events: NewEvent[],
    version: number,
    outputOf: (cleanThrough: number | undefined) => T,
  ): Promise<{ ok: true; output: T } | { ok: false; replayed: boolean }> => {
    const streamId = orderStream(ctx.input.creatorId, ctx.input.orderId);
    const clean = cancellations.cleanThrough(streamId) === version;
    const output = outputOf(clean ? version + events.length : undefined);
    try {
      const result = await append(ctx, events, version, ctx.completeWith(output));
      return result.duplicate ? { ok: false, replayed: true } : { ok: true, output };
    } catch (err) {
      if (!isConcurrencyError(err)) throw err;
      return { ok: false, replayed: false };
    }
  };
  const validated = (ctx: StepContext<OrderFulfillmentInput>) =>
    ctx.results['validate_order'] as ValidatedOrder;
  /** What validate_order (possibly on another process) found clean, so a check reads only the tail. */
  const seed = (ctx: StepContext<OrderFulfillmentInput>) =>
    cancellations.seed(orderStream(ctx.input.creatorId, ctx.input.orderId), validated(ctx).cleanThrough);
  const isCancelled = (creatorId: string, orderId: string) =>
    cancellations.isCancelled(orderStream(creatorId, orderId));

  const definition = defineSaga<OrderFulfillmentInput>({
    name: ORDER_FULFILLMENT_SAGA,
    input: orderFulfillmentInputSchema,
    steps: [
      {
        name: 'validate_order',
        action: (ctx) =>
          guard(async (): Promise<ValidatedOrder> => {
            const { creatorId, shopId, orderId } = ctx.input;
            let lines = ctx.input.lineItems;
            let totalAmount = ctx.input.totalAmount;
            let currency = ctx.input.currency;
            if (!lines || totalAmount === undefined || currency === undefined) {
              // TikTok's status webhook carries no lines: read the order.
              const detail = await tiktok.getOrder({ shopId, orderId, signal: ctx.signal });
              if (detail.status === 'CANCELLED')
                throw new OrderInvalidError(orderId, 'cancelled on TikTok Shop');
              lines ??= detail.lines.map((l) => ({ productId: l.productId, quantity: l.quantity }));
              totalAmount ??= detail.totalAmount;
              currency ??= detail.currency;
            }
            if (lines.length === 0) throw new OrderInvalidError(orderId, 'the order has no line items');
            cancellations.seed(orderStream(creatorId, orderId), ctx.input.cleanThrough);
            // The output is known before the append, so the step's completion goes in its statement.
            return appendUnlessCancelled(
              ctx,
              [commerceEvent('order.validated', { creatorId, orderId })],
              ctx.input.cleanThrough,
              (cleanThrough): ValidatedOrder => ({
                lines: lines!,
                totalAmount: totalAmount!,
                currency: currency!,
                ...(cleanThrough === undefined ? {} : { cleanThrough }),
              }),
            );
          }),
        compensation: {
          name: 'mark_order_failed',
          run: async (ctx) => {
            const { creatorId, orderId } = ctx.input;
            if (await isCancelled(creatorId, orderId)) return;
            await append(ctx, [
              commerceEvent('order.cancelled', {
                creatorId,
                orderId,
                cancelledBy: 'system',
                reason: 'fulfillment failed',
                cancelledAt: new Date().toISOString(),
              }),
            ]);
          },
        },
      },
      {
        name: 'allocate_inventory',
        action: (ctx) =>
          guard(() =>
            inventory.allocate({
              creatorId: ctx.input.creatorId,
              orderId: ctx.input.orderId,
              lines: validated(ctx).lines,
              idempotencyKey: ctx.idempotencyKey,
              actor: sagaActorOf(ORDER_FULFILLMENT_SAGA, ctx.input),
              metadata: meta(ctx),
              // What allocate returns is known before its append: the step's completion goes in it.
              completeWith: (allocated) => ctx.completeWith(allocated),
            }),
          ),
        compensation: {
          name: 'release_inventory',
          run: (ctx) =>
            inventory.release({
              creatorId: ctx.input.creatorId,
              orderId: ctx.input.orderId,
              reason: 'compensation',
              actor: sagaActorOf(ORDER_FULFILLMENT_SAGA, ctx.input),
              metadata: meta(ctx),
            }),
        },
      },
      {
        name: 'process_payment',
        action: (ctx) =>
          guard(async () => {
            const { creatorId, orderId } = ctx.input;
            // A buyer who cancelled meanwhile is not charged (the compensations release the stock).
            seed(ctx);
            if (await isCancelled(creatorId, orderId))
              throw new OrderInvalidError(orderId, 'the order was cancelled');
            const { totalAmount, currency } = validated(ctx);
            const payment = await payments.charge({
              creatorId,
              orderId,
              amount: totalAmount,
              currency,
              idempotencyKey: ctx.idempotencyKey,
              signal: ctx.signal,
            });
            const events: NewEvent[] = [
              commerceEvent('order.payment_processed', { creatorId, orderId, ...payment }),
            ];
            // The step's key makes the report as once-only as the event it describes; a capture
            // no rule could act on (equal to the order total, under the limits) is not reported.
            const capture = { captured: payment.amount, orderTotal: totalAmount };
            if (policy && captureMatters(capture, policy)) {
              const reportedAt = new Date().toISOString();
              events.push(
                captureReport({ creatorId, orderId, paymentId: payment.paymentId, ...capture, reportedAt }),
              );
              // TikTok's total against it, when the two are a case for a person (one window holds both).
              if (tiktokTotalMatters(capture, policy))
                events.push(
                  tiktokTotalReport({
                    creatorId,
                    orderId,
                    shopId: ctx.input.shopId,
                    orderTotal: totalAmount,
                    reportedAt,
                  }),
                );
            }
            // The step's last write: its log entry goes in the same statement.
            await append(ctx, events, undefined, ctx.completeWith(payment));
            return payment;
          }),
        compensation: {
          name: 'refund_payment',
          run: async (ctx) => {
            const { creatorId, orderId } = ctx.input;
            const payment = await undoTarget(ctx, 'charge', (lookup) => payments.findCharge?.(lookup));
            if (payment === null) return; // the lost charge never happened
            // What a buyer's cancellation refunded already is not refunded again; both
            // paths use the order's refund key, so the provider acts once either way.
            const { events } = await store.readStream(orderStream(creatorId, orderId));
            const refunded = events
              .filter((e) => e.type === 'order.refunded')
              .reduce((cents, e) => cents + Math.round((e.data as { amount: number }).amount * 100), 0);
            const dueCents = Math.round(payment.amount * 100) - refunded;
            if (dueCents <= 0) return;
            const idempotencyKey = orderRefundKey(creatorId, orderId, payment.paymentId);
            const { refundId } = await payments.refund({
              creatorId,
              orderId,
              ...payment,
              amount: dueCents / 100,
              idempotencyKey,
              signal: ctx.signal,
            });
            const refundEvents: NewEvent[] = [
              commerceEvent('order.refunded', {
                creatorId,
                orderId,
                amount: dueCents / 100,
                currency: payment.currency,
                reason: 'fulfillment failed',
              }),
            ];
            const refundedSoFar = (refunded + dueCents) / 100;
            if (policy && refundMatters({ refundedSoFar, captured: payment.amount }, policy))
              refundEvents.push(refundReport({ creatorId, orderId, refundId, refundedSoFar }));
            await store.append(orderStream(creatorId, orderId), refundEvents, {
              aggregateType: 'order',
              idempotencyKey,
              metadata: meta(ctx),
            });
          },
        },
      },
      {
        name: 'generate_shipping_label',
        action: (ctx) =>
          guard(() =>
            shipping.createLabel({
              creatorId: ctx.input.creatorId,
              orderId: ctx.input.orderId,
              lines: validated(ctx).lines,
              idempotencyKey: ctx.idempotencyKey,
              signal: ctx.signal,
            }),
          ),
        compensation: {
          name: 'cancel_shipping',
          run: async (ctx) => {
            const label = await undoTarget(ctx, 'label', (lookup) => shipping.findLabel?.(lookup));
            if (label === null) return; // the lost label was never bought
            await shipping.cancelLabel({
              creatorId: ctx.input.creatorId,
              orderId: ctx.input.orderId,
              labelId: label.labelId,
              idempotencyKey: ctx.idempotencyKey,
              signal: ctx.signal,
            });
          },
        },
      },
      {
        name: 'update_tiktok_status',
        action: (ctx) =>
          guard(async () => {
            const { creatorId, shopId, orderId } = ctx.input;
            // Cancelled while the label was bought: refund, void the label, release (compensations).
            seed(ctx);
            const look = await cancellations.look(orderStream(creatorId, orderId));
            if (look.cancelled) throw new OrderInvalidError(orderId, 'the order was cancelled');
            const label = ctx.results['generate_shipping_label'] as ShippingLabel;
            await tiktok.updateShipping({
              shopId,
              orderId,
              trackingNumber: label.trackingNumber,
              carrier: label.carrier,
              provider: shipping.name,
              idempotencyKey: ctx.idempotencyKey,
              signal: ctx.signal,
            });
            // The shipment takes what the order holds, released in the same append at the
            // version just looked at (read again only if the stream moved meanwhile); the
            // step's (and saga's) completion is written in that append's statement.
            const output = { trackingNumber: label.trackingNumber };
            await inventory.appendWithRelease({
              creatorId,
              orderId,
              reason: 'fulfilled',
              events: [
                commerceEvent('order.shipped', {
                  creatorId,
                  orderId,
                  provider: shipping.name,
                  trackingNumber: label.trackingNumber,
                  carrier: label.carrier,
                  shippedAt: new Date().toISOString(),
                }),
              ],
              idempotencyKey: ctx.idempotencyKey,
              actor: sagaActorOf(ORDER_FULFILLMENT_SAGA, ctx.input),
              metadata: meta(ctx),
              known: { version: look.version, holdings: look.holdings },
              ...ctx.completeWith(output),
            });
            return output;
          }),
        // The last step: once TikTok knows the tracking number the order is on its way.
        compensation: 'none',
      },
    ],
  });
  return checkingSagaActor(definition);
}
