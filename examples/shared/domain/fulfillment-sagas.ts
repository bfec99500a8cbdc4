/**
 * The order sagas of the demo host (interim, until the commerce module's
 * fulfillment saga is wired): fulfil an order TikTok reports as paid, and
 * undo it when the buyer cancels. Every append carries an idempotency key
 * derived from the saga, so a retried step writes nothing twice.
 */
import { z } from 'zod';
import { commerceEvent } from '../../../src/commerce/events/index.js';
import type { TikTokShopHttpClient } from '../../../src/ingest/index.js';
import { defineSaga, TerminalError, type SagaDefinition } from '../../../src/sagas/index.js';
import type { EngineSaga } from '../../../src/engine.js';
import type { EventStore, StoredEvent } from '../../../src/store/index.js';
import { fetchOrderDetail, type OrderDetail } from './tiktok-orders.js';

const orderInput = z.object({ creatorId: z.string(), orderId: z.string(), receivedAtMs: z.number() });
type OrderInput = z.infer<typeof orderInput>;

const retry = { retries: 4, minTimeoutMs: 100, maxTimeoutMs: 2000, factor: 2, jitter: true };

/**
 * The fulfillment saga: validate (fetch the order from TikTok), allocate
 * inventory, record the payment.
 *
 * @example
 * ```ts
 * const saga = fulfillmentSaga(store, client);
 * ```
 */
export function fulfillmentSaga(store: EventStore, client: TikTokShopHttpClient): SagaDefinition<OrderInput> {
  const orderStream = (i: OrderInput) => `order-${i.orderId}`;
  return defineSaga<OrderInput>({
    name: 'order_fulfillment',
    input: orderInput,
    steps: [
      {
        name: 'validate_order',
        retry,
        action: async ({ input, idempotencyKey }) => {
          const detail = await fetchOrderDetail(client, input.orderId);
          if (!detail || detail.lines.length === 0)
            throw new TerminalError(`Order ${input.orderId} is unknown to TikTok`);
          await store.append(
            orderStream(input),
            [commerceEvent('order.validated', { creatorId: input.creatorId, orderId: input.orderId })],
            { aggregateType: 'order', idempotencyKey, metadata: { source: 'order_fulfillment' } },
          );
          return detail;
        },
        compensation: {
          name: 'mark_order_failed',
          run: async ({ input, idempotencyKey }) => {
            await store.append(
              orderStream(input),
              [
                commerceEvent('order.cancelled', {
                  creatorId: input.creatorId,
                  orderId: input.orderId,
                  cancelledBy: 'system',
                  reason: 'fulfillment failed',
                  cancelledAt: new Date().toISOString(),
                }),
              ],
              { aggregateType: 'order', idempotencyKey, metadata: { source: 'order_fulfillment' } },
            );
          },
        },
      },
      {
        name: 'allocate_inventory',
        retry,
        action: async ({ input, idempotencyKey, results }) => {
          const detail = results.validate_order as OrderDetail;
          const { creatorId, orderId } = input;
          await store.append(
            orderStream(input),
            [
              commerceEvent('order.inventory_allocated', {
                creatorId,
                orderId,
                allocations: detail.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
              }),
            ],
            { aggregateType: 'order', idempotencyKey, metadata: { source: 'order_fulfillment' } },
          );
          for (const line of detail.lines) {
            await store.append(
              `inventory-${line.sku}`,
              [
                commerceEvent(
                  'inventory.reserved',
                  { creatorId, productId: line.productId, orderId, quantity: line.quantity },
                  { metadata: { sku: line.sku, productName: line.name } },
                ),
              ],
              { aggregateType: 'inventory', idempotencyKey: `${idempotencyKey}:${line.sku}` },
            );
          }
        },
        compensation: {
          name: 'release_inventory',
          run: async ({ input, idempotencyKey, results }) => {
            const detail = results.validate_order as OrderDetail;
            for (const line of detail.lines) {
              await store.append(
                `inventory-${line.sku}`,
                [
                  commerceEvent(
                    'inventory.released',
                    {
                      creatorId: input.creatorId,
                      productId: line.productId,
                      orderId: input.orderId,
                      quantity: line.quantity,
                      reason: 'compensation',
                    },
                    { metadata: { sku: line.sku } },
                  ),
                ],
                { aggregateType: 'inventory', idempotencyKey: `${idempotencyKey}:${line.sku}` },
              );
            }
          },
        },
      },
      {
        name: 'process_payment',
        retry,
        action: async ({ input, idempotencyKey, results }) => {
          const detail = results.validate_order as OrderDetail;
          await store.append(
            orderStream(input),
            [
              commerceEvent('order.payment_processed', {
                creatorId: input.creatorId,
                orderId: input.orderId,
                paymentId: `pay_${input.orderId}`,
                amount: detail.total,
                currency: detail.currency,
              }),
            ],
            {
              aggregateType: 'order',
              idempotencyKey,
              metadata: {
                source: 'order_fulfillment',
                processingMs: Math.max(0, Date.now() - input.receivedAtMs),
              },
            },
          );
        },
        compensation: 'none',
      },
    ],
  });
}

/**
 * The cancellation saga: when the buyer or TikTok cancels an order, give
 * back its reserved stock and refund what was paid (read from its stream).
 *
 * @example
 * ```ts
 * const saga = cancellationSaga(store);
 * ```
 */
export function cancellationSaga(store: EventStore): SagaDefinition<Omit<OrderInput, 'receivedAtMs'>> {
  const input = orderInput.omit({ receivedAtMs: true });
  return defineSaga({
    name: 'order_cancellation',
    input,
    steps: [
      {
        name: 'release_inventory',
        retry,
        action: async ({ input: i, idempotencyKey }) => {
          const { events } = await store.readStream(`order-${i.orderId}`);
          const reserved = events
            .filter((e) => e.type === 'order.inventory_allocated')
            .flatMap(
              (e) => (e.data as { allocations: { productId: string; quantity: number }[] }).allocations,
            );
          for (const a of reserved) {
            await store.append(
              `inventory-product-${a.productId}`,
              [
                commerceEvent('inventory.released', {
                  creatorId: i.creatorId,
                  productId: a.productId,
                  orderId: i.orderId,
                  quantity: a.quantity,
                  reason: 'cancelled',
                }),
              ],
              { aggregateType: 'inventory', idempotencyKey: `${idempotencyKey}:${a.productId}` },
            );
          }
        },
        compensation: 'none',
      },
      {
        name: 'refund_payment',
        retry,
        action: async ({ input: i, idempotencyKey }) => {
          const { events } = await store.readStream(`order-${i.orderId}`);
          const paid = events.find((e) => e.type === 'order.payment_processed');
          if (!paid) return;
          const { amount, currency } = paid.data as { amount: number; currency: string };
          await store.append(
            `order-${i.orderId}`,
            [
              commerceEvent('order.refunded', {
                creatorId: i.creatorId,
                orderId: i.orderId,
                amount,
                currency,
              }),
            ],
            { aggregateType: 'order', idempotencyKey, metadata: { source: 'order_cancellation' } },
          );
        },
        compensation: 'none',
      },
    ],
  });
}

/**
 * Both sagas with the events that start them.
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, sagas: orderSagas(store, client) });
 * ```
 */
export function orderSagas(store: EventStore, client: TikTokShopHttpClient): EngineSaga[] {
  const data = (e: StoredEvent) => e.data as { creatorId: string; orderId: string; cancelledBy?: string };
  return [
    {
      definition: fulfillmentSaga(store, client),
      startOn: (e) =>
        e.type === 'order.received_from_tiktok'
          ? {
              sagaId: `fulfil-${data(e).orderId}`,
              input: {
                creatorId: data(e).creatorId,
                orderId: data(e).orderId,
                receivedAtMs: e.processedAt.getTime(),
              },
            }
          : null,
    },
    {
      definition: cancellationSaga(store),
      startOn: (e) =>
        e.type === 'order.cancelled' && data(e).cancelledBy !== 'system'
          ? {
              sagaId: `cancel-${data(e).orderId}`,
              input: { creatorId: data(e).creatorId, orderId: data(e).orderId },
            }
          : null,
    },
  ];
}
