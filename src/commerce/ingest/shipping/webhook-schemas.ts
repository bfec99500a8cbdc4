/**
 * Schemas of shipping-provider webhooks. Providers let the shipper attach
 * metadata to a shipment; the host sets `order_id` and `creator_id` there and
 * the provider echoes them in each tracking update.
 */
import { z } from 'zod';

/**
 * Tracking statuses the receiver understands.
 *
 * @example
 * ```ts
 * TRACKING_STATUSES.includes('delivered') // true
 * ```
 */
export const TRACKING_STATUSES = [
  'label_created',
  'picked_up',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'exception',
  'returned',
] as const;
/** One of {@link TRACKING_STATUSES}. */
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/**
 * The envelope every shipping webhook shares.
 *
 * @example
 * ```ts
 * const parsed = shippingEnvelopeSchema.safeParse(input);
 * ```
 */
export const shippingEnvelopeSchema = z.object({
  type: z.string().min(1).max(100),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  data: z.record(z.string(), z.unknown()),
});

/**
 * `data` of a `tracking.updated` webhook.
 *
 * @example
 * ```ts
 * const parsed = trackingUpdateSchema.safeParse(input);
 * ```
 */
export const trackingUpdateSchema = z.looseObject({
  order_id: z.string().min(1).max(200),
  creator_id: z.string().min(1).max(200),
  tracking_number: z.string().min(1).max(200),
  carrier: z.string().min(1).max(100).optional(),
  status: z.enum(TRACKING_STATUSES),
  occurred_at: z.iso.datetime({ offset: true }).optional(),
});
/** A parsed tracking update. */
export type TrackingUpdate = z.infer<typeof trackingUpdateSchema>;
