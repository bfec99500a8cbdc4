/**
 * What the sources say, before anyone decided: a stock figure or an order's
 * status and amount reported by one source at one time. Each report is a
 * contender; `resolve-sync-conflicts` settles the reports of one product or
 * order that fall into one detection window, and only the settled value
 * (`inventory.stock_updated`, `order.reconciled`) reaches the read models.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { COMMERCE_SOURCES, type CommerceSource } from './commerce-conflict-config.js';
import type { EventStore, NewEvent } from '../../store/types.js';
import { amountSchema, idSchema, instantSchema, quantitySchema } from '../events/common.js';
import { ORDER_STATUSES } from '../read-models/commerce-orders.js';

/**
 * A stock figure from one source: `quantity` units on hand, as the source saw it at `reportedAt`.
 *
 * @example
 * ```ts
 * store.append(inventoryStream('c1', 'p1'), [reportStockEvent({ creatorId: 'c1', productId: 'p1',
 *   quantity: 8, source: 'tiktok_webhook', sourceId: 'shop-7', reportedAt: new Date().toISOString() })]);
 * ```
 */
export const STOCK_REPORTED_EVENT = 'inventory.stock_reported';
/**
 * An order's status and/or amount from one source.
 *
 * @example
 * ```ts
 * events.filter((e) => e.type === ORDER_REPORTED_EVENT);
 * ```
 */
export const ORDER_REPORTED_EVENT = 'order.state_reported';
/**
 * The settled state of an order (automatic resolution, a lone report, or an admin's decision).
 *
 * @example
 * ```ts
 * if (e.type === ORDER_RECONCILED_EVENT) console.log((e.data as OrderReconciled).status);
 * ```
 */
export const ORDER_RECONCILED_EVENT = 'order.reconciled';

const reportBase = {
  creatorId: idSchema,
  /** One of the configured sources (`tiktok_webhook` 10 … `scheduled_sync` 5). */
  source: z.enum(COMMERCE_SOURCES as [CommerceSource, ...CommerceSource[]]),
  /** The instance of the source (shop id, provider account, admin id); breaks ties. */
  sourceId: idSchema,
  /** When the source observed the value (its clock). */
  reportedAt: instantSchema,
};

/**
 * Payload of {@link STOCK_REPORTED_EVENT}.
 *
 * @example
 * ```ts
 * stockReportedSchema.parse({ creatorId: 'c1', productId: 'p1', quantity: 8, source: 'scheduled_sync',
 *   sourceId: 'cron', reportedAt: '2026-12-03T07:00:00.000Z' });
 * ```
 */
export const stockReportedSchema = z.object({
  ...reportBase,
  productId: idSchema,
  sku: idSchema.optional(),
  quantity: quantitySchema,
  threshold: quantitySchema.optional(),
});
/** A {@link STOCK_REPORTED_EVENT} payload. */
export type StockReported = z.infer<typeof stockReportedSchema>;

/**
 * Payload of {@link ORDER_REPORTED_EVENT}: at least one of `status`, `totalAmount` and `refundedAmount`.
 *
 * @example
 * ```ts
 * orderReportedSchema.parse({ creatorId: 'c1', orderId: 'o1', status: 'delivered', source: 'shipping_provider',
 *   sourceId: 'shippo', reportedAt: '2026-12-03T07:00:00.000Z' });
 * ```
 */
export const orderReportedSchema = z
  .object({
    ...reportBase,
    orderId: idSchema,
    status: z.enum(ORDER_STATUSES).optional(),
    totalAmount: amountSchema.optional(),
    /** Total refunded so far (a refund over $500 goes to the manual queue). */
    refundedAmount: amountSchema.optional(),
    /**
     * With `totalAmount`: the figure the source was asked to match (a capture
     * carries the order's TikTok total); more than 10 % apart goes to the
     * manual queue with both figures.
     */
    orderTotal: amountSchema.optional(),
  })
  .refine(
    (d) => d.status !== undefined || d.totalAmount !== undefined || d.refundedAmount !== undefined,
    'status, totalAmount or refundedAmount is required',
  )
  .refine((d) => d.orderTotal === undefined || d.totalAmount !== undefined, {
    message: 'orderTotal is reported beside totalAmount',
    path: ['orderTotal'],
  });
/** An {@link ORDER_REPORTED_EVENT} payload. */
export type OrderReported = z.infer<typeof orderReportedSchema>;

/**
 * Payload of {@link ORDER_RECONCILED_EVENT}.
 *
 * @example
 * ```ts
 * orderReconciledSchema.parse({ creatorId: 'c1', orderId: 'o1', status: 'delivered' });
 * ```
 */
export const orderReconciledSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  status: z.enum(ORDER_STATUSES).optional(),
  totalAmount: amountSchema.optional(),
  refundedAmount: amountSchema.optional(),
  /** The conflict it settles; absent for a lone report. */
  conflictId: z.string().min(1).optional(),
  /**
   * The admin whose decision on an escalated conflict it carries; absent when
   * settled automatically. Only a decision sets the status against the
   * lifecycle order in `commerce_orders`.
   */
  decidedBy: z.string().min(1).optional(),
});
/** An {@link ORDER_RECONCILED_EVENT} payload. */
export type OrderReconciled = z.infer<typeof orderReconciledSchema>;

/**
 * Register the report and reconciliation events with the store's validation.
 *
 * @example
 * ```ts
 * registerSyncReportEvents(store);
 * ```
 */
export function registerSyncReportEvents(store: Pick<EventStore, 'registerEventType'>): void {
  store.registerEventType(STOCK_REPORTED_EVENT, stockReportedSchema);
  store.registerEventType(ORDER_REPORTED_EVENT, orderReportedSchema);
  store.registerEventType(ORDER_RECONCILED_EVENT, orderReconciledSchema);
}

/**
 * A stock report event (validated on append).
 *
 * @example
 * ```ts
 * await store.append(inventoryStream('c1', 'p1'), [stockReportEvent({ ...figure })]);
 * ```
 */
export function stockReportEvent(data: StockReported): NewEvent<typeof STOCK_REPORTED_EVENT, StockReported> {
  return { id: randomUUID(), type: STOCK_REPORTED_EVENT, data };
}

/**
 * An order report event (validated on append).
 *
 * @example
 * ```ts
 * await store.append(orderStream('c1', 'o1'), [orderReportEvent({ ...report })]);
 * ```
 */
export function orderReportEvent(data: OrderReported): NewEvent<typeof ORDER_REPORTED_EVENT, OrderReported> {
  return { id: randomUUID(), type: ORDER_REPORTED_EVENT, data };
}
