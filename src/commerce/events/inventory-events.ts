/**
 * Inventory events: stock levels, reservations for orders, and the alerts the
 * inventory handler raises. Every payload is scoped by `creatorId`.
 */
import { z } from 'zod';
import { SEVERITIES, idSchema, positiveQuantitySchema, quantitySchema } from './common.js';

/**
 * Why a stock level changed.
 *
 * @example
 * ```ts
 * STOCK_CHANGE_REASONS.includes('restock') // true
 * ```
 */
export const STOCK_CHANGE_REASONS = ['sale', 'restock', 'adjustment', 'sync', 'return'] as const;

/**
 * `inventory.stock_updated`: the on-hand quantity of a product is now `quantity`.
 *
 * @example
 * ```ts
 * const parsed = stockUpdatedSchema.safeParse(input);
 * ```
 */
export const stockUpdatedSchema = z.object({
  creatorId: idSchema,
  productId: idSchema,
  sku: idSchema.optional(),
  quantity: quantitySchema,
  previousQuantity: quantitySchema.optional(),
  reason: z.enum(STOCK_CHANGE_REASONS),
  /** Low-stock threshold of the product, when the host tracks one. */
  threshold: quantitySchema.optional(),
});

/**
 * `inventory.reserved`: units held for an order.
 *
 * @example
 * ```ts
 * const parsed = inventoryReservedSchema.safeParse(input);
 * ```
 */
export const inventoryReservedSchema = z.object({
  creatorId: idSchema,
  productId: idSchema,
  orderId: idSchema,
  quantity: positiveQuantitySchema,
});

/**
 * Why a reservation was released.
 *
 * @example
 * ```ts
 * RELEASE_REASONS.includes('compensation') // true
 * ```
 */
export const RELEASE_REASONS = ['cancelled', 'compensation', 'expired', 'fulfilled', 'returned'] as const;

/**
 * `inventory.released`: a reservation given back (cancel, saga compensation, expiry) or consumed
 * (`fulfilled`: the units left with the shipment); `returned`: units a shipment took come back
 * on the shelf (a cancelled order's parcel), without touching reservations.
 *
 * @example
 * ```ts
 * const parsed = inventoryReleasedSchema.safeParse(input);
 * ```
 */
export const inventoryReleasedSchema = z.object({
  creatorId: idSchema,
  productId: idSchema,
  orderId: idSchema,
  quantity: positiveQuantitySchema,
  reason: z.enum(RELEASE_REASONS),
});

/**
 * `inventory.low_stock_detected`: stock crossed the product's threshold downwards.
 *
 * @example
 * ```ts
 * const parsed = lowStockDetectedSchema.safeParse(input);
 * ```
 */
export const lowStockDetectedSchema = z.object({
  creatorId: idSchema,
  productId: idSchema,
  quantity: quantitySchema,
  threshold: quantitySchema,
  severity: z.enum(SEVERITIES),
});

/**
 * `inventory.reorder_triggered`: a reorder is suggested.
 *
 * @example
 * ```ts
 * const parsed = reorderTriggeredSchema.safeParse(input);
 * ```
 */
export const reorderTriggeredSchema = z.object({
  creatorId: idSchema,
  productId: idSchema,
  quantity: quantitySchema,
  suggestedQuantity: positiveQuantitySchema,
  /** Sales per hour the suggestion was based on. */
  velocityPerHour: z.number().finite().min(0).optional(),
});

/**
 * `inventory.sync_conflict_detected`: two sources disagree about a stock level.
 *
 * @example
 * ```ts
 * const parsed = syncConflictDetectedSchema.safeParse(input);
 * ```
 */
export const syncConflictDetectedSchema = z.object({
  creatorId: idSchema,
  productId: idSchema,
  localQuantity: quantitySchema,
  remoteQuantity: quantitySchema,
  /** The other side, e.g. `'tiktok'`. */
  remoteSource: z.string().min(1),
  /** Set when the conflict resolver already settled it. */
  resolvedQuantity: quantitySchema.optional(),
});
