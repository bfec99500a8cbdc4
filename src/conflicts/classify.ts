/**
 * Which kind of conflict a set of contenders is. Decided over the whole set,
 * so the answer never depends on arrival order.
 */
import type { EntityPolicy } from './config.js';
import { jsonEquals } from './json.js';
import type { ConflictKind, Contender } from './types.js';

/**
 * The TikTok Shop source.
 *
 * @example
 * ```ts
 * contenders.some((c) => c.source === TIKTOK_SOURCE);
 * ```
 */
export const TIKTOK_SOURCE = 'tiktok_webhook';
/**
 * The admin source.
 *
 * @example
 * ```ts
 * contenders.some((c) => c.source === MANUAL_SOURCE);
 * ```
 */
export const MANUAL_SOURCE = 'manual_admin';

/**
 * True when TikTok Shop and another platform (any source but admins) set one
 * field to different values.
 *
 * @example
 * ```ts
 * hasCrossPlatformMismatch([tiktokSays8, scheduledSyncSays10]) // true
 * ```
 */
export function hasCrossPlatformMismatch(contenders: readonly Contender[]): boolean {
  for (const t of contenders) {
    if (t.source !== TIKTOK_SOURCE) continue;
    for (const o of contenders) {
      if (o.source === TIKTOK_SOURCE || o.source === MANUAL_SOURCE) continue;
      for (const f in t.changes) {
        if (!Object.hasOwn(t.changes, f) || !Object.hasOwn(o.changes, f)) continue;
        if (!jsonEquals(t.changes[f]!, o.changes[f]!)) return true;
      }
    }
  }
  return false;
}

/**
 * Classify a conflict: TikTok vs admin first, then a TikTok cross-platform
 * mismatch, else the entity policy's kind.
 *
 * @example
 * ```ts
 * classifyConflict(contenders, policyFor(config, 'inventory')) // 'inventory_concurrent_update'
 * ```
 */
export function classifyConflict(
  contenders: readonly Contender[],
  policy: Readonly<EntityPolicy>,
): ConflictKind {
  let tiktok = false;
  let admin = false;
  for (const c of contenders) {
    if (c.source === TIKTOK_SOURCE) tiktok = true;
    else if (c.source === MANUAL_SOURCE) admin = true;
  }
  if (tiktok && admin) return 'tiktok_vs_manual_changes';
  // A mismatch needs a TikTok contender.
  if (tiktok && hasCrossPlatformMismatch(contenders)) return 'cross_platform_inconsistency';
  return policy.kind;
}
