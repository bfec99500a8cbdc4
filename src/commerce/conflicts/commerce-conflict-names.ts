/**
 * The names commerce gives the generic conflict engine: its conflict kinds,
 * the rule name of its stock minimum, and its detected event (type, owner and
 * subject keys). These strings are stored (audit rows, events), so they never
 * change; `commerceConflictConfig()` passes them to the engine.
 */
import type { DetectedEventRule, QuantityConflictFields } from '../../conflicts/config.js';
import type { Json } from '../../conflicts/json.js';
import { quantityConflictFields } from '../../conflicts/service/events.js';
import type { Resolution } from '../../conflicts/types.js';

/**
 * Commerce's conflict kinds, in report order (`ConflictReport.byKind`):
 * stock, order/payment/shipment status, TikTok Shop against an admin, TikTok
 * Shop against another platform, and the engine's generic kind.
 *
 * @example
 * ```ts
 * report.byKind[COMMERCE_CONFLICT_KINDS[0]]; // inventory_concurrent_update count
 * ```
 */
export const COMMERCE_CONFLICT_KINDS = Object.freeze([
  'inventory_concurrent_update',
  'order_status_race_condition',
  'tiktok_vs_manual_changes',
  'cross_platform_inconsistency',
  'concurrent_update',
] as const);

/** One of {@link COMMERCE_CONFLICT_KINDS}. */
export type CommerceConflictKind = (typeof COMMERCE_CONFLICT_KINDS)[number];

/**
 * The rule name of a stock field's decision under business rules (the lowest
 * count wins), as `FieldRule.rule` keeps it in the audit.
 *
 * @example
 * ```ts
 * record.resolution.fields.quantity?.rule === STOCK_MINIMUM_RULE; // true for a stock conflict
 * ```
 */
export const STOCK_MINIMUM_RULE = 'stock_minimum';

/**
 * The detected event of a stock conflict whose creator, stock before and a
 * contender's count are known (the commerce catalog's schema).
 *
 * @example
 * ```ts
 * events.filter((e) => e.type === SYNC_CONFLICT_DETECTED_EVENT);
 * ```
 */
export const SYNC_CONFLICT_DETECTED_EVENT = 'inventory.sync_conflict_detected';

/**
 * Commerce's detected-event rule: every detected event names the creator
 * (`creatorId`), and a stock conflict is an {@link SYNC_CONFLICT_DETECTED_EVENT}
 * naming the product (`productId`).
 *
 * @example
 * ```ts
 * createConflictConfig({ ...input, detectedEvent: COMMERCE_DETECTED_EVENT_RULE });
 * ```
 */
export const COMMERCE_DETECTED_EVENT_RULE: Readonly<DetectedEventRule> = Object.freeze({
  ownerKey: 'creatorId',
  quantityEvent: Object.freeze({ type: SYNC_CONFLICT_DETECTED_EVENT, subjectKey: 'productId' }),
});

/** Fields of the commerce catalog's `inventory.sync_conflict_detected` payload. */
export interface StockConflictFields extends QuantityConflictFields {
  creatorId: string;
  productId: string;
}

/**
 * The commerce fields of a stock conflict over `field`, or null when one of
 * them is unknown.
 *
 * @example
 * ```ts
 * stockConflictFields(resolution, 'quantity', 'creator-1') // { creatorId, productId, localQuantity, ... } | null
 * ```
 */
export function stockConflictFields(
  r: Resolution,
  field: string,
  creatorId?: string,
): (StockConflictFields & Record<string, Json>) | null {
  return quantityConflictFields(r, field, COMMERCE_DETECTED_EVENT_RULE, creatorId) as
    (StockConflictFields & Record<string, Json>) | null;
}

/**
 * The commerce conflict kinds.
 *
 * @deprecated Moved out of `@creatorflow/sync/conflicts` (whose kinds are
 * configuration); use {@link COMMERCE_CONFLICT_KINDS}.
 * @example
 * ```ts
 * COMMERCE_CONFLICT_KINDS.includes('tiktok_vs_manual_changes'); // instead of CONFLICT_KINDS
 * ```
 */
export const CONFLICT_KINDS = COMMERCE_CONFLICT_KINDS;

/**
 * The type of a stock conflict's detected event.
 *
 * @deprecated Moved out of `@creatorflow/sync/conflicts`; use {@link SYNC_CONFLICT_DETECTED_EVENT}.
 * @example
 * ```ts
 * events.filter((e) => e.type === SYNC_CONFLICT_DETECTED_EVENT); // instead of CONFLICT_DETECTED_EVENT
 * ```
 */
export const CONFLICT_DETECTED_EVENT = SYNC_CONFLICT_DETECTED_EVENT;
