/**
 * Reorder suggestions: cover demand over the supplier lead time and the review
 * period, plus safety stock, rounded up to whole packs.
 */

/**
 * Options of {@link suggestReorder}.
 *
 * @example
 * ```ts
 * // A supplier 5 days away, weekly orders, cartons of 24, at least 48 units.
 * suggestReorder({ available: 30, velocityPerHour: 0.8, threshold: 20 }, {
 *   leadTimeHours: 120, reviewPeriodHours: 168, safetyHours: 48, packSize: 24, minOrderQuantity: 48,
 * });
 * ```
 */
export interface ReorderOptions {
  /** Hours from order to stock on the shelf. Default 72. */
  leadTimeHours?: number;
  /** Hours until the next reorder decision. Default 168 (a week). */
  reviewPeriodHours?: number;
  /** Extra hours of demand held as safety stock. Default 24. */
  safetyHours?: number;
  /** Suppliers sell in packs of this many units. Default 1. */
  packSize?: number;
  /** Smallest order the supplier takes. Default 1. */
  minOrderQuantity?: number;
}

/** A reorder suggestion. */
export interface ReorderSuggestion {
  shouldReorder: boolean;
  /** Units to order (0 when no reorder is needed). */
  suggestedQuantity: number;
  /** Stock level at or below which a reorder is due. */
  reorderPoint: number;
  /** Stock level the order aims for. */
  targetLevel: number;
}

/**
 * Suggest a reorder for a product with `available` units selling at
 * `velocityPerHour`, whose low-stock threshold is `threshold`. A reorder is due
 * at or below the larger of the threshold and the demand over lead time plus
 * safety stock; it brings stock up to that demand plus the review period, and
 * never below twice the threshold.
 *
 * @example
 * ```ts
 * suggestReorder({ available: 12, velocityPerHour: 1.5, threshold: 20 })
 * // { shouldReorder: true, suggestedQuantity: 384, reorderPoint: 144, targetLevel: 396 }
 * ```
 */
export function suggestReorder(
  input: { available: number; velocityPerHour: number; threshold: number },
  options: ReorderOptions = {},
): ReorderSuggestion {
  const lead = options.leadTimeHours ?? 72;
  const review = options.reviewPeriodHours ?? 168;
  const safety = options.safetyHours ?? 24;
  const pack = Math.max(1, Math.floor(options.packSize ?? 1));
  const minOrder = Math.max(1, Math.floor(options.minOrderQuantity ?? 1));
  const velocity = Math.max(0, input.velocityPerHour);
  const threshold = Math.max(0, input.threshold);
  const reorderPoint = Math.max(threshold, Math.ceil(velocity * (lead + safety)));
  const targetLevel = Math.max(2 * threshold, Math.ceil(velocity * (lead + safety + review)));
  if (input.available > reorderPoint || targetLevel <= 0) {
    return { shouldReorder: false, suggestedQuantity: 0, reorderPoint, targetLevel };
  }
  const missing = Math.max(minOrder, targetLevel - input.available);
  const suggestedQuantity = Math.ceil(missing / pack) * pack;
  return { shouldReorder: true, suggestedQuantity, reorderPoint, targetLevel };
}
