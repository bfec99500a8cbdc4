/**
 * Threshold escalation, decided over the whole contender set (maxima and
 * spreads), so it is order-independent too. A threshold fires when the
 * measured value is strictly greater than it.
 */
import type { ConflictConfig, EntityPolicy, FieldLimit, ImpactEstimator } from '../config.js';
import { hasCrossPlatformMismatch } from './classify.js';
import type { JsonObject } from '../json.js';
import type { ConflictImpact, Contender, EscalationReason } from '../types.js';
import { absoluteRange, fieldNumbers, maxNumber } from './measures.js';

function absolutes(contenders: readonly Contender[], field: string): number[] {
  return fieldNumbers({}, contenders, field);
}

/**
 * Spread of the absolute values of `field` in percent of the base value
 * (when positive, else of the largest value); null when fewer than
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
 * Every limit of the policy the contender set crosses, in the policy's
 * order, then the cross-platform mismatch. On a terminal base
 * (`terminalBase`), only the limits checked `evenWhenTerminal`.
 *
 * @example
 * ```ts
 * thresholdReasons(prepared.base, prepared.contenders, prepared.policy, config) // [{ code: 'budget', ... }]
 * ```
 */
export function thresholdReasons(
  base: JsonObject,
  contenders: readonly Contender[],
  policy: Readonly<EntityPolicy>,
  config: ConflictConfig,
  terminalBase = false,
): EscalationReason[] {
  const reasons: EscalationReason[] = [];
  for (const limit of policy.limits) {
    if (terminalBase && limit.evenWhenTerminal !== true) continue;
    const reason =
      limit.measure === 'maximum'
        ? maximumReason(base, contenders, limit)
        : limit.measure === 'deviationPercent'
          ? deviationReason(contenders, limit)
          : spreadReason(base, contenders, limit);
    if (reason !== null) reasons.push(reason);
  }
  if (terminalBase) return reasons;
  if (config.thresholds.crossPlatformMismatch && hasCrossPlatformMismatch(contenders, config.crossPlatform)) {
    const platform = config.crossPlatform!.name ?? config.crossPlatform!.source;
    reasons.push({ code: 'cross_platform_mismatch', message: `${platform} disagrees with another platform` });
  }
  return reasons;
}

function messageOf(limit: Readonly<FieldLimit>, value: number): string {
  return limit.message
    .replaceAll('{value}', String(value))
    .replaceAll('{limit}', String(limit.limit))
    .replaceAll('{field}', limit.field);
}

function maximumReason(
  base: JsonObject,
  contenders: readonly Contender[],
  limit: Readonly<FieldLimit>,
): EscalationReason | null {
  const max = maxNumber(base, contenders, limit.field);
  if (!(max > limit.limit)) return null;
  return {
    code: limit.code,
    field: limit.field,
    value: max,
    threshold: limit.limit,
    message: messageOf(limit, max),
  };
}

function spreadReason(
  base: JsonObject,
  contenders: readonly Contender[],
  limit: Readonly<FieldLimit>,
): EscalationReason | null {
  const { field } = limit;
  const range = absoluteRange(contenders, field);
  if (range.count < 2) return null;
  const percentLimit = limit.limit;
  // Compare spread*100 with percent*reference (no division) so "exactly 10 %" never escalates by rounding.
  const spread = range.max - range.min;
  if (spread <= 0) return null;
  const b = base[field];
  const reference = typeof b === 'number' && b > 0 ? b : range.max;
  if (reference > 0 && !(spread * 100 > percentLimit * reference)) return null;
  // The same figure discrepancyPercent() reports.
  const percent = reference > 0 ? (spread * 100) / reference : Infinity;
  const reason: EscalationReason = {
    code: limit.code,
    field,
    threshold: percentLimit,
    message: messageOf(limit, percent),
  };
  if (Number.isFinite(percent)) reason.value = percent;
  return reason;
}

/**
 * The largest distance of a contender's value of `limit.field` from its own
 * value of `limit.reference`, in percent of the reference, when it crosses
 * the limit. Compared as `distance*100 > pct*reference` (no division), so
 * exactly the limit does not escalate; a reference of 0 or less with any
 * distance escalates (no percentage of it is meaningful). Contenders that do
 * not set both fields are not measured.
 */
function deviationReason(
  contenders: readonly Contender[],
  limit: Readonly<FieldLimit>,
): EscalationReason | null {
  let worst = -1;
  for (const c of contenders) {
    const value = c.changes[limit.field];
    const reference = c.changes[limit.reference!];
    if (typeof value !== 'number' || typeof reference !== 'number') continue;
    const distance = Math.abs(value - reference);
    if (distance === 0) continue;
    if (reference > 0 && !(distance * 100 > limit.limit * reference)) continue;
    worst = Math.max(worst, reference > 0 ? (distance * 100) / reference : Infinity);
  }
  if (worst < 0) return null;
  const reason: EscalationReason = {
    code: limit.code,
    field: limit.field,
    threshold: limit.limit,
    message: messageOf(limit, worst),
  };
  if (Number.isFinite(worst)) reason.value = worst;
  return reason;
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
