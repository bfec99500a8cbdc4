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
  const tiktok = contenders.filter((c) => c.source === TIKTOK_SOURCE);
  const others = contenders.filter((c) => c.source !== TIKTOK_SOURCE && c.source !== MANUAL_SOURCE);
  return tiktok.some((t) =>
    others.some((o) =>
      Object.keys(t.changes).some(
        (f) => Object.hasOwn(o.changes, f) && !jsonEquals(t.changes[f]!, o.changes[f]!),
      ),
    ),
  );
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
  const sources = new Set(contenders.map((c) => c.source));
  if (sources.has(TIKTOK_SOURCE) && sources.has(MANUAL_SOURCE)) return 'tiktok_vs_manual_changes';
  if (hasCrossPlatformMismatch(contenders)) return 'cross_platform_inconsistency';
  return policy.kind;
}
