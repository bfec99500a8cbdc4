/**
 * Settings of the inventory calculations, shared by the `inventory_levels`
 * projection, the inventory handler and `syncInventoryLevels`.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import type { AnomalyOptions } from '../metrics/velocity-anomaly.js';
import type { ReorderOptions } from '../metrics/reorder.js';
import type { StockoutOptions } from '../metrics/stockout.js';
import type { VelocityOptions } from '../metrics/sales-velocity.js';

/**
 * Inventory settings.
 *
 * @example
 * ```ts
 * const inventory: InventoryOptions = {
 *   defaultThreshold: 5,
 *   criticalStockoutHours: 12,
 *   velocity: { windowHours: 48 },
 *   stockout: { confidence: 0.99 },
 *   reorder: { leadTimeHours: 48, packSize: 12 },
 * };
 * const commerce = createCommerce({ store, inventory });
 * ```
 */
export interface InventoryOptions {
  /** Low-stock threshold of products that set none (`stock_updated.threshold`). Default 10. */
  defaultThreshold?: number;
  /** A low-stock alert is critical when the product sells out within this many hours. Default 24. */
  criticalStockoutHours?: number;
  velocity?: VelocityOptions;
  stockout?: StockoutOptions;
  anomaly?: AnomalyOptions;
  reorder?: ReorderOptions;
}

/**
 * Settings with defaults applied.
 *
 * @example
 * ```ts
 * const options: ResolvedInventoryOptions = resolveInventoryOptions({ defaultThreshold: 5 });
 * console.log(options.criticalStockoutHours); // 24, the default
 * await syncInventoryLevels({ store, readModels, options, creatorId: 'c1' });
 * ```
 */
export interface ResolvedInventoryOptions {
  readonly defaultThreshold: number;
  readonly criticalStockoutHours: number;
  readonly velocity: Readonly<VelocityOptions>;
  readonly stockout: Readonly<StockoutOptions>;
  readonly anomaly: Readonly<AnomalyOptions>;
  readonly reorder: Readonly<ReorderOptions>;
}

const positive = z.number().finite().positive();
const schema = z.object({
  defaultThreshold: z.int().min(0).optional(),
  criticalStockoutHours: positive.optional(),
  velocity: z
    .object({ windowHours: z.int().min(1).max(48).optional(), trendHours: z.int().min(1).max(24).optional() })
    .loose()
    .optional(),
  stockout: z
    .object({
      windowHours: z.int().min(1).max(48).optional(),
      confidence: z.union([z.literal(0.8), z.literal(0.9), z.literal(0.95), z.literal(0.99)]).optional(),
    })
    .optional(),
  anomaly: z
    .object({
      recentHours: z.int().min(1).max(12).optional(),
      baselineHours: z.int().min(1).max(36).optional(),
    })
    .loose()
    .optional(),
  reorder: z
    .object({
      leadTimeHours: z.number().min(0).optional(),
      reviewPeriodHours: z.number().min(0).optional(),
      safetyHours: z.number().min(0).optional(),
      packSize: z.int().min(1).optional(),
      minOrderQuantity: z.int().min(1).optional(),
    })
    .optional(),
});

/**
 * Validate inventory settings once and freeze them.
 *
 * @example
 * ```ts
 * const options = resolveInventoryOptions({ defaultThreshold: 20, reorder: { leadTimeHours: 48 } });
 * ```
 */
export function resolveInventoryOptions(options: InventoryOptions = {}): ResolvedInventoryOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success)
    throw new InvalidArgumentError(`invalid inventory options: ${z.prettifyError(parsed.error)}`);
  return Object.freeze({
    defaultThreshold: options.defaultThreshold ?? 10,
    criticalStockoutHours: options.criticalStockoutHours ?? 24,
    velocity: Object.freeze({ ...options.velocity }),
    stockout: Object.freeze({ ...options.stockout }),
    anomaly: Object.freeze({ ...options.anomaly }),
    reorder: Object.freeze({ ...options.reorder }),
  });
}
