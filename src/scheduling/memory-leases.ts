/**
 * Leases in memory, for the in-memory event store and tests: the runtime's
 * `LeasePort` over a map, expiring on the clock it is given.
 */
import type { LeasePort } from '../runtime/lease-keeper.js';

/**
 * A {@link LeasePort} in memory; schedulers or singleton workers sharing one
 * behave like hosts sharing a database.
 *
 * @example
 * ```ts
 * const leases = memoryLeases();
 * const keeper = new LeaseKeeper({ leases, name: 'scheduler:default' });
 * ```
 */
export function memoryLeases(now: () => number = () => performance.now()): LeasePort {
  const held = new Map<string, { owner: string; expiresAt: number }>();
  const holder = (name: string) => {
    const lease = held.get(name);
    return lease && lease.expiresAt >= now() ? lease : undefined;
  };
  return {
    async acquire(name, owner, ttlMs) {
      const lease = holder(name);
      if (lease && lease.owner !== owner) return false;
      held.set(name, { owner, expiresAt: now() + ttlMs });
      return true;
    },
    async renew(name, owner, ttlMs) {
      const lease = holder(name);
      if (!lease || lease.owner !== owner) return false;
      lease.expiresAt = now() + ttlMs;
      return true;
    },
    async release(name, owner) {
      if (held.get(name)?.owner === owner) held.delete(name);
    },
  };
}
