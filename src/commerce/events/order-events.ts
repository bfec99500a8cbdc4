/**
 * Order events: the life of an order from TikTok Shop to the buyer's door.
 * Every payload is scoped by `creatorId`; the stream is `orderStream(creatorId, orderId)`.
 */
import { z } from 'zod';
import {
  TIKTOK_ORDER_STATUSES,
  amountSchema,
  currencySchema,
  idSchema,
  instantSchema,
  positiveQuantitySchema,
} from './common.js';

/**
 * One line of an order.
 *
 * @example
 * ```ts
 * const parsed = orderLineItemSchema.safeParse(input);
 * ```
 */
export const orderLineItemSchema = z.object({
  productId: idSchema,
  sku: idSchema.optional(),
  quantity: positiveQuantitySchema,
  unitPrice: amountSchema.optional(),
});

/**
 * `order.received_from_tiktok`: an order became fulfillable on TikTok Shop
 * (status `AWAITING_SHIPMENT`). Line items are present when the sender knew
 * them (TikTok's status webhook does not carry them; the saga fetches details).
 *
 * @example
 * ```ts
 * const parsed = orderReceivedFromTikTokSchema.safeParse(input);
 * ```
 */
export const orderReceivedFromTikTokSchema = z.object({
  creatorId: idSchema,
  shopId: idSchema,
  orderId: idSchema,
  status: z.enum(TIKTOK_ORDER_STATUSES),
  lineItems: z.array(orderLineItemSchema).optional(),
  totalAmount: amountSchema.optional(),
  currency: currencySchema.optional(),
  /** When TikTok reported the change. */
  updateTime: instantSchema,
});

/**
 * `order.validated`: the order passed business validation.
 *
 * @example
 * ```ts
 * const parsed = orderValidatedSchema.safeParse(input);
 * ```
 */
export const orderValidatedSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
});

/**
 * `order.inventory_allocated`: stock reserved for every line.
 *
 * @example
 * ```ts
 * const parsed = orderInventoryAllocatedSchema.safeParse(input);
 * ```
 */
export const orderInventoryAllocatedSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  allocations: z.array(z.object({ productId: idSchema, quantity: positiveQuantitySchema })).min(1),
});

/**
 * `order.payment_processed`: the payment was captured.
 *
 * @example
 * ```ts
 * const parsed = orderPaymentProcessedSchema.safeParse(input);
 * ```
 */
export const orderPaymentProcessedSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  paymentId: idSchema,
  amount: amountSchema,
  currency: currencySchema,
});

/**
 * `order.shipped`: the carrier has the parcel.
 *
 * @example
 * ```ts
 * const parsed = orderShippedSchema.safeParse(input);
 * ```
 */
export const orderShippedSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  /** Shipping provider name, e.g. `'shippo'`. */
  provider: z.string().min(1),
  trackingNumber: idSchema,
  carrier: z.string().min(1).optional(),
  shippedAt: instantSchema,
});

/**
 * `order.delivered`: the buyer has the parcel.
 *
 * @example
 * ```ts
 * const parsed = orderDeliveredSchema.safeParse(input);
 * ```
 */
export const orderDeliveredSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  provider: z.string().min(1).optional(),
  trackingNumber: idSchema.optional(),
  deliveredAt: instantSchema,
});

/**
 * Who cancelled an order.
 *
 * @example
 * ```ts
 * CANCELLED_BY.includes('tiktok') // true
 * ```
 */
export const CANCELLED_BY = ['buyer', 'seller', 'system', 'tiktok'] as const;

/**
 * `order.cancelled`: the order will not be fulfilled.
 *
 * @example
 * ```ts
 * const parsed = orderCancelledSchema.safeParse(input);
 * ```
 */
export const orderCancelledSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  cancelledBy: z.enum(CANCELLED_BY),
  reason: z.string().max(1000).optional(),
  cancelledAt: instantSchema,
});

/**
 * `order.refunded`: money went back to the buyer.
 *
 * @example
 * ```ts
 * const parsed = orderRefundedSchema.safeParse(input);
 * ```
 */
export const orderRefundedSchema = z.object({
  creatorId: idSchema,
  orderId: idSchema,
  amount: amountSchema,
  currency: currencySchema,
  /** TikTok's reverse-order (return) id, when the refund came from one. */
  returnId: idSchema.optional(),
  reason: z.string().max(1000).optional(),
});
