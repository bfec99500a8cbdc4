/**
 * Zod schemas of the TikTok Shop webhook envelope and of the `data` of each
 * handled type. Unknown extra fields are kept (TikTok adds fields over time).
 */
import { z } from 'zod';
import { TIKTOK_ORDER_STATUSES } from '../../events/common.js';

/** TikTok ids arrive as strings (sometimes numbers); both become strings. */
const tiktokId = z.union([z.string().min(1).max(128), z.int().nonnegative()]).transform(String);

/** Unix seconds, as TikTok sends them (10 digits). */
const unixSeconds = z.int().min(1).max(99_999_999_999);

/**
 * The webhook envelope.
 *
 * @example
 * ```ts
 * const parsed = tiktokEnvelopeSchema.safeParse(input);
 * ```
 */
export const tiktokEnvelopeSchema = z.object({
  type: z.int().min(0).max(1000),
  tts_notification_id: z.string().min(1).max(128),
  shop_id: tiktokId,
  timestamp: unixSeconds,
  data: z.record(z.string(), z.unknown()),
});
/** A parsed envelope. */
export type TikTokEnvelope = z.infer<typeof tiktokEnvelopeSchema>;

/**
 * Order statuses the webhook may send: the API's, plus the webhook's `CANCEL`.
 *
 * @example
 * ```ts
 * TIKTOK_WEBHOOK_ORDER_STATUSES.includes('CANCEL') // true
 * ```
 */
export const TIKTOK_WEBHOOK_ORDER_STATUSES = [...TIKTOK_ORDER_STATUSES, 'CANCEL'] as const;

/**
 * Type 1, order status change.
 *
 * @example
 * ```ts
 * const parsed = orderStatusChangeDataSchema.safeParse(input);
 * ```
 */
export const orderStatusChangeDataSchema = z.looseObject({
  order_id: tiktokId,
  order_status: z.enum(TIKTOK_WEBHOOK_ORDER_STATUSES),
  is_on_hold_order: z.boolean().optional(),
  update_time: unixSeconds,
});

/**
 * Type 2, reverse order (return / refund / cancellation request) status change.
 *
 * @example
 * ```ts
 * const parsed = reverseOrderDataSchema.safeParse(input);
 * ```
 */
export const reverseOrderDataSchema = z.looseObject({
  order_id: tiktokId,
  reverse_order_id: tiktokId,
  reverse_order_status: z.union([z.int(), z.string().min(1).max(64)]),
  reverse_event_type: z.string().max(64).optional(),
  reverse_type: z.union([z.int(), z.string().max(64)]).optional(),
  update_time: unixSeconds,
});

/**
 * Type 4, package update (split, combine, shipping info).
 *
 * @example
 * ```ts
 * const parsed = packageUpdateDataSchema.safeParse(input);
 * ```
 */
export const packageUpdateDataSchema = z.looseObject({
  order_id: tiktokId,
  package_id: tiktokId,
  update_time: unixSeconds,
});

/**
 * Type 5, product status change.
 *
 * @example
 * ```ts
 * const parsed = productStatusDataSchema.safeParse(input);
 * ```
 */
export const productStatusDataSchema = z.looseObject({
  product_id: tiktokId,
  status: z.string().min(1).max(64),
  suspended_reason: z.string().max(2000).optional(),
  update_time: unixSeconds,
});

/**
 * Type 6, the seller revoked the app's authorisation.
 *
 * @example
 * ```ts
 * const parsed = sellerDeauthorizationDataSchema.safeParse(input);
 * ```
 */
export const sellerDeauthorizationDataSchema = z.looseObject({
  message: z.string().max(2000).optional(),
  update_time: unixSeconds.optional(),
});

/**
 * Normalise a webhook order status (`CANCEL` → `CANCELLED`).
 *
 * @example
 * ```ts
 * normalizeOrderStatus('CANCEL') // 'CANCELLED'
 * ```
 */
export function normalizeOrderStatus(
  status: (typeof TIKTOK_WEBHOOK_ORDER_STATUSES)[number],
): (typeof TIKTOK_ORDER_STATUSES)[number] {
  return status === 'CANCEL' ? 'CANCELLED' : status;
}
