/**
 * Which kind of conflict a set of contenders is. Decided over the whole set,
 * so the answer never depends on arrival order.
 */
import type { CrossPlatformRule, EntityPolicy } from '../config.js';
import { jsonEquals } from '../json.js';
import { DEFAULT_MISMATCH_KIND, type ConflictKind, type Contender } from '../types.js';

/**
 * True when the rule's platform and another platform (any source but the
 * manual ones) set one field to different values. False without a rule.
 *
 * @example
 * ```ts
 * hasCrossPlatformMismatch([tiktokSays8, scheduledSyncSays10], config.crossPlatform) // true
 * ```
 */
export function hasCrossPlatformMismatch(
  contenders: readonly Contender[],
  rule: Readonly<CrossPlatformRule> | null,
): boolean {
  if (rule === null) return false;
  for (const t of contenders) {
    if (t.source !== rule.source) continue;
    for (const o of contenders) {
      if (o.source === rule.source || rule.manualSources.includes(o.source)) continue;
      for (const f in t.changes) {
        if (!Object.hasOwn(t.changes, f) || !Object.hasOwn(o.changes, f)) continue;
        if (!jsonEquals(t.changes[f]!, o.changes[f]!)) return true;
      }
    }
  }
  return false;
}

/**
 * Classify a conflict: the platform against a manual source first (the rule's
 * `manualKind`), then a cross-platform mismatch (its `mismatchKind`, see
 * {@link CrossPlatformRule}), else the entity policy's kind.
 *
 * @example
 * ```ts
 * classifyConflict(contenders, policyFor(config, 'task'), config.crossPlatform) // 'concurrent_update'
 * ```
 */
export function classifyConflict(
  contenders: readonly Contender[],
  policy: Readonly<EntityPolicy>,
  rule: Readonly<CrossPlatformRule> | null,
): ConflictKind {
  if (rule === null) return policy.kind;
  let platform = false;
  let manual = false;
  for (const c of contenders) {
    if (c.source === rule.source) platform = true;
    else if (rule.manualSources.includes(c.source)) manual = true;
  }
  if (platform && manual) return rule.manualKind;
  // A mismatch needs a contender of the platform.
  if (platform && hasCrossPlatformMismatch(contenders, rule))
    return rule.mismatchKind ?? DEFAULT_MISMATCH_KIND;
  return policy.kind;
}
