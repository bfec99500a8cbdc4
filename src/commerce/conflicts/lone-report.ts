/**
 * When a report alone in its window is still a case for the conflict rules.
 * A lone report is no conflict and is applied as it is, unless its own
 * figures call for the rules: a figure over a `'maximum'` limit (an order
 * over $1000, a refund over $500) or a figure that is not the one it was
 * asked to match (a capture that differs from the order's TikTok total).
 * Such a report goes through the resolver with the entity's state as the
 * base, so it is audited with both figures and escalated or settled as a
 * conflict of several reports would be: whether another source happened to
 * report in the same window does not change the decision.
 */
import type { EntityPolicy } from '../../conflicts/config.js';
import type { JsonObject } from '../../conflicts/json.js';

/**
 * True when a lone report's `changes` cross one of the policy's maximum
 * limits, or differ from their reference under a deviation limit.
 *
 * @example
 * ```ts
 * loneReportNeedsRules({ totalAmount: 80, orderTotal: 100 }, policyFor(config, 'order')) // true
 * loneReportNeedsRules({ status: 'shipped' }, policyFor(config, 'order'))               // false
 * ```
 */
export function loneReportNeedsRules(changes: JsonObject, policy: Readonly<EntityPolicy>): boolean {
  for (const limit of policy.limits) {
    const value = changes[limit.field];
    if (typeof value !== 'number') continue;
    if (limit.measure === 'maximum' && value > limit.limit) return true;
    if (limit.measure === 'deviationPercent') {
      const reference = changes[limit.reference!];
      if (typeof reference === 'number' && reference !== value) return true;
    }
  }
  return false;
}
