/**
 * Threshold escalation, decided over the whole contender set (maxima and
 * spreads), so it is order-independent too. A threshold fires when the
 * measured value is strictly greater than it.
 */
import type { ConflictConfig, EntityPolicy, ImpactEstimator } from '../config.js';
import { hasCrossPlatformMismatch } from './classify.js';
import type { JsonObject } from '../json.js';
import type { ConflictImpact, Contender, EscalationReason } from '../types.js';
import { absoluteRange, fieldNumbers, maxNumber } from './measures.js';

function absolutes(contenders: readonly Contender[], field: string): number[] {
  return fieldNumbers({}, contenders, field);
}

/**
 * Spread of the absolute stock values of `field` in percent of the stock
 * (the base value when positive, else the largest value); null when fewer than
 * two contenders set it. Infinity when the reference stock is 0.
 *
 * @example
 * ```ts
 * discrepancyPercent({ quantity: 100 }, [says90, says80], 'quantity') // 10
 * ```
 */
export function discrepancyPercent(
  base: JsonObject,
  contenders: readonly Contender[],
  field: string,
): number | null {
  const values = absolutes(contenders, field);
  if (values.length < 2) return null;
  const spread = Math.max(...values) - Math.min(...values);
  const b = base[field];
  const reference = typeof b === 'number' && b > 0 ? b : Math.max(...values);
  if (spread === 0) return 0;
  return reference > 0 ? (spread * 100) / reference : Infinity;
}

/**
 * Every threshold the contender set crosses.
 *
 * @example
 * ```ts
 * thresholdReasons(prepared.base, prepared.contenders, prepared.policy, config) // [{ code: 'order_value', ... }]
 * ```
 */
export function thresholdReasons(
  base: JsonObject,
  contenders: readonly Contender[],
  policy: Readonly<EntityPolicy>,
  config: ConflictConfig,
): EscalationReason[] {
  const { thresholds } = config;
  const reasons: EscalationReason[] = [];
  if (policy.orderValueField !== undefined) {
    const field = policy.orderValueField;
    const max = maxNumber(base, contenders, field);
    if (max > thresholds.orderValue) {
      reasons.push({
        code: 'order_value',
        field,
        value: max,
        threshold: thresholds.orderValue,
        message: `order value ${max} is over ${thresholds.orderValue}`,
      });
    }
  }
  if (policy.paymentAmountField !== undefined) {
    const field = policy.paymentAmountField;
    const max = maxNumber(base, contenders, field);
    if (max > thresholds.paymentAmount) {
      reasons.push({
        code: 'payment_amount',
        field,
        value: max,
        threshold: thresholds.paymentAmount,
        message: `payment amount ${max} is over ${thresholds.paymentAmount}`,
      });
    }
  }
  for (const field of policy.stockFields) {
    const range = absoluteRange(contenders, field);
    if (range.count < 2) continue;
    const percentLimit = thresholds.inventoryDiscrepancyPercent;
    // Compare spread*100 with percent*reference (no division) so "exactly 10 %" never escalates by rounding.
    const spread = range.max - range.min;
    if (spread <= 0) continue;
    const b = base[field];
    const reference = typeof b === 'number' && b > 0 ? b : range.max;
    if (reference > 0 && !(spread * 100 > percentLimit * reference)) continue;
    const reason: EscalationReason = {
      code: 'inventory_discrepancy',
      field,
      threshold: percentLimit,
      message: `stock values of "${field}" differ by more than ${percentLimit}%`,
    };
    // The same figure discrepancyPercent() reports.
    const percent = reference > 0 ? (spread * 100) / reference : Infinity;
    if (Number.isFinite(percent)) reason.value = percent;
    reasons.push(reason);
  }
  if (thresholds.crossPlatformMismatch && hasCrossPlatformMismatch(contenders, config.crossPlatform)) {
    const platform = config.crossPlatform!.name ?? config.crossPlatform!.source;
    reasons.push({ code: 'cross_platform_mismatch', message: `${platform} disagrees with another platform` });
  }
  return reasons;
}

/**
 * Impact of a conflict, for reports: one figure per estimator of the
 * configuration, in its order (none by default; commerce's are revenue at
 * stake and stock units in dispute).
 *
 * @example
 * ```ts
 * measureImpact(prepared.base, prepared.contenders, prepared.policy, config.impact) // { revenue: 1250, stockUnits: 0 }
 * ```
 */
export function measureImpact(
  base: JsonObject,
  contenders: readonly Contender[],
  policy: Readonly<EntityPolicy>,
  estimators: Readonly<Record<string, ImpactEstimator>>,
): ConflictImpact {
  const impact: ConflictImpact = {};
  for (const [name, estimate] of Object.entries(estimators))
    impact[name] = estimate(base, contenders, policy);
  return impact;
}
