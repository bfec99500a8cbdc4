/**
 * A cache's health from its two dependencies: Redis (optional) and the log.
 * Degraded never means failing reads — it says what the cache does without.
 */
import type { CacheHealth } from './cache-types.js';
import type { LogFollower } from './log-follower.js';
import type { RedisLayer } from './redis-layer.js';

/** What {@link cacheHealth} judges. */
export interface CacheHealthInput {
  redis: Pick<RedisLayer, 'up' | 'lastError'> | undefined;
  follower: Pick<LogFollower, 'confirmedAgoMs' | 'failing' | 'lastError' | 'checkpoint'> | undefined;
  maxStalenessMs: number;
}

/**
 * Degraded while Redis is down, the log cannot be read, or it was not read
 * within the staleness bound (reads still answer from memory and loaders).
 *
 * @example
 * ```ts
 * cacheHealth({ redis: undefined, follower, maxStalenessMs: 1000 }).status // 'ok'
 * ```
 */
export function cacheHealth({ redis, follower, maxStalenessMs }: CacheHealthInput): CacheHealth {
  const reasons: string[] = [];
  const redisState = !redis ? 'none' : redis.up ? 'up' : 'down';
  if (redisState === 'down') reasons.push(`redis down: ${describe(redis?.lastError)}`);
  const confirmedAgoMs = follower?.confirmedAgoMs ?? 0;
  if (!follower) reasons.push('not started');
  else if (follower.failing) reasons.push(`log unreadable: ${describe(follower.lastError)}`);
  else if (confirmedAgoMs > maxStalenessMs) reasons.push(`log not read for ${Math.round(confirmedAgoMs)} ms`);
  return {
    status: reasons.length === 0 ? 'ok' : 'degraded',
    redis: redisState,
    log: { checkpoint: follower?.checkpoint ?? '0:0', confirmedAgoMs, failing: follower?.failing ?? false },
    reasons,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error ?? 'unknown');
}
