/**
 * TikTok Shop events: what the webhook receiver and the outbound client saw.
 */
import { z } from 'zod';
import { TIKTOK_ORDER_STATUSES, idSchema, instantSchema } from './common.js';

/**
 * TikTok Shop webhook types the receiver handles, by number.
 *
 * @example
 * ```ts
 * TIKTOK_WEBHOOK_TYPES[1] // 'ORDER_STATUS_CHANGE'
 * ```
 */
export const TIKTOK_WEBHOOK_TYPES = {
  1: 'ORDER_STATUS_CHANGE',
  2: 'REVERSE_ORDER_STATUS_CHANGE',
  4: 'PACKAGE_UPDATE',
  5: 'PRODUCT_STATUS_CHANGE',
  6: 'SELLER_DEAUTHORIZATION',
} as const;
/** A handled webhook type number. */
export type TikTokWebhookType = keyof typeof TIKTOK_WEBHOOK_TYPES;
/** A handled webhook type name. */
export type TikTokWebhookTypeName = (typeof TIKTOK_WEBHOOK_TYPES)[TikTokWebhookType];

/**
 * `tiktok.webhook_received`: an authenticated webhook, kept verbatim for audit
 * and replay — the signed body text itself, so what was signed is what is kept
 * (a parse would round big integers and turn `1e400` into null).
 *
 * @example
 * ```ts
 * const parsed = webhookReceivedSchema.safeParse(input);
 * ```
 */
export const webhookReceivedSchema = z.object({
  notificationId: idSchema,
  shopId: idSchema,
  creatorId: idSchema,
  type: z.int(),
  typeName: z.string().min(1),
  /** The envelope's timestamp (when TikTok sent it). */
  sentAt: instantSchema,
  /** The request body exactly as received and signed (UTF-8 text; parse it for the envelope's `data`). */
  body: z.string().min(1),
});

/**
 * `tiktok.order_status_changed`: TikTok's status of an order changed.
 *
 * @example
 * ```ts
 * const parsed = orderStatusChangedSchema.safeParse(input);
 * ```
 */
export const orderStatusChangedSchema = z.object({
  creatorId: idSchema,
  shopId: idSchema,
  orderId: idSchema,
  /** Normalised status (`CANCEL` becomes `CANCELLED`). */
  status: z.enum(TIKTOK_ORDER_STATUSES),
  /** The status string as TikTok sent it. */
  rawStatus: z.string().min(1),
  isOnHold: z.boolean(),
  updateTime: instantSchema,
});

/**
 * `tiktok.product_updated`: a product's status on TikTok Shop changed.
 *
 * @example
 * ```ts
 * const parsed = productUpdatedSchema.safeParse(input);
 * ```
 */
export const productUpdatedSchema = z.object({
  creatorId: idSchema,
  shopId: idSchema,
  productId: idSchema,
  status: z.string().min(1),
  suspendedReason: z.string().optional(),
  updateTime: instantSchema,
});

/**
 * `tiktok.rate_limit_hit`: the TikTok Shop API answered 429.
 *
 * @example
 * ```ts
 * const parsed = rateLimitHitSchema.safeParse(input);
 * ```
 */
export const rateLimitHitSchema = z.object({
  method: z.string().min(1),
  path: z.string().min(1),
  shopId: idSchema.optional(),
  /** How long the client waits before retrying (Retry-After or backoff). */
  retryAfterMs: z.int().min(0),
  attempt: z.int().min(1),
});

/**
 * `tiktok.api_error`: a TikTok Shop API call failed (5xx, network, or a non-zero TikTok `code`).
 *
 * @example
 * ```ts
 * const parsed = apiErrorSchema.safeParse(input);
 * ```
 */
export const apiErrorSchema = z.object({
  method: z.string().min(1),
  path: z.string().min(1),
  shopId: idSchema.optional(),
  /** HTTP status; null for network errors. */
  status: z.int().nullable(),
  /** TikTok's error `code` from the response body, when there was one. */
  tiktokCode: z.int().optional(),
  message: z.string().max(2000),
  attempt: z.int().min(1),
  willRetry: z.boolean(),
});
