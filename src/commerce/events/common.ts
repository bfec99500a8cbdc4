/**
 * Building blocks shared by the event schemas of the catalog.
 */
import { z } from 'zod';

/**
 * A non-empty identifier (order id, product id, creator id …).
 *
 * @example
 * ```ts
 * const parsed = idSchema.safeParse(input);
 * ```
 */
export const idSchema = z.string().min(1).max(200);

/**
 * An ISO-8601 instant with an offset, e.g. `2026-01-31T12:00:00.000Z`.
 *
 * @example
 * ```ts
 * const parsed = instantSchema.safeParse(input);
 * ```
 */
export const instantSchema = z.iso.datetime({ offset: true });

/**
 * A non-negative integer quantity of units.
 *
 * @example
 * ```ts
 * const parsed = quantitySchema.safeParse(input);
 * ```
 */
export const quantitySchema = z.int().min(0);

/**
 * A strictly positive integer quantity of units.
 *
 * @example
 * ```ts
 * const parsed = positiveQuantitySchema.safeParse(input);
 * ```
 */
export const positiveQuantitySchema = z.int().min(1);

/**
 * A money amount in the currency's major unit (e.g. 12.5 = $12.50).
 *
 * @example
 * ```ts
 * const parsed = amountSchema.safeParse(input);
 * ```
 */
export const amountSchema = z.number().finite().min(0);

/**
 * An ISO-4217 currency code.
 *
 * @example
 * ```ts
 * const parsed = currencySchema.safeParse(input);
 * ```
 */
export const currencySchema = z.string().regex(/^[A-Z]{3}$/);

/**
 * Alert severities.
 *
 * @example
 * ```ts
 * SEVERITIES.includes('critical') // true
 * ```
 */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/**
 * Health levels of a monitored component.
 *
 * @example
 * ```ts
 * HEALTH_STATUSES.includes('warning') // true
 * ```
 */
export const HEALTH_STATUSES = ['nominal', 'warning', 'critical'] as const;
/** One of {@link HEALTH_STATUSES}. */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/**
 * Components watched by the system-health read model.
 *
 * @example
 * ```ts
 * for (const component of HEALTH_COMPONENTS) check(component);
 * ```
 */
export const HEALTH_COMPONENTS = [
  'tiktok_api',
  'order_processing',
  'inventory_sync',
  'automation_health',
] as const;
/** One of {@link HEALTH_COMPONENTS}. */
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

/**
 * TikTok Shop order statuses (API version 202309). The webhook's `CANCEL` is
 * normalised to `CANCELLED` before it reaches an event.
 *
 * @example
 * ```ts
 * TIKTOK_ORDER_STATUSES.includes('AWAITING_SHIPMENT') // true
 * ```
 */
export const TIKTOK_ORDER_STATUSES = [
  'UNPAID',
  'ON_HOLD',
  'AWAITING_SHIPMENT',
  'AWAITING_COLLECTION',
  'PARTIALLY_SHIPPING',
  'IN_TRANSIT',
  'DELIVERED',
  'COMPLETED',
  'CANCELLED',
] as const;
/** One of {@link TIKTOK_ORDER_STATUSES}. */
export type TikTokOrderStatus = (typeof TIKTOK_ORDER_STATUSES)[number];
