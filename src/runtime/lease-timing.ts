/**
 * Lease timing, in one place for processors, the saga runner and hosts'
 * singleton jobs: a 6 s lease renewed every 2 s, so a killed host's work
 * moves within 10 s (expiry plus a standby's next attempt).
 */
import { InvalidArgumentError } from '../core/errors.js';

/**
 * Lease lifetime without a renewal (ms): the takeover bound after a crash.
 *
 * @example
 * ```ts
 * createProcessor({ store, name: 'totals', handle, lease: { ttlMs: DEFAULT_LEASE_TTL_MS * 2 } });
 * ```
 */
export const DEFAULT_LEASE_TTL_MS = 6_000;

/**
 * Lease settings a caller may give; unset ones derive from `ttlMs`.
 *
 * @example
 * ```ts
 * // Take over from a dead host within about 3 s; standbys try every second.
 * const timing = resolveLeaseTiming({ ttlMs: 3_000, acquireIntervalMs: 1_000 }); // heartbeat every 1 s
 * ```
 */
export interface LeaseTimingOptions {
  /** Lifetime without a renewal. Default 6,000 ms (`DEFAULT_LEASE_TTL_MS`). */
  ttlMs?: number | undefined;
  /** Heartbeat: how often the holder renews. Default ttl / 3. Must be below the ttl. */
  renewIntervalMs?: number | undefined;
  /** How often a standby tries to take the lease. Default ttl / 4. */
  acquireIntervalMs?: number | undefined;
}

/** Lease settings with every field set. */
export interface LeaseTiming {
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly acquireIntervalMs: number;
  /**
   * ttl − heartbeat: a holder that has not renewed successfully for this long
   * stops on its own. Measured from when the last successful renewal was sent,
   * it ends at least one heartbeat before the database lets anyone else take the lease.
   */
  readonly selfFenceAfterMs: number;
}

/**
 * Fill in lease settings from the defaults; throws {@link InvalidArgumentError}
 * when the heartbeat is not shorter than the ttl (the holder would fence itself at once).
 *
 * @example
 * ```ts
 * resolveLeaseTiming();                  // { ttlMs: 6000, renewIntervalMs: 2000, acquireIntervalMs: 1500, selfFenceAfterMs: 4000 }
 * resolveLeaseTiming({ ttlMs: 1_000 });  // heartbeat 333 ms, standby every 250 ms
 * ```
 */
export function resolveLeaseTiming(options: LeaseTimingOptions = {}): LeaseTiming {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const renewIntervalMs = options.renewIntervalMs ?? Math.max(10, Math.floor(ttlMs / 3));
  const acquireIntervalMs = options.acquireIntervalMs ?? Math.max(10, Math.floor(ttlMs / 4));
  for (const [name, value] of Object.entries({ ttlMs, renewIntervalMs, acquireIntervalMs })) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new InvalidArgumentError(`lease ${name} must be a positive number of ms, got ${value}`);
    }
  }
  if (renewIntervalMs >= ttlMs) {
    throw new InvalidArgumentError(
      `lease heartbeat (${renewIntervalMs} ms) must be shorter than its ttl (${ttlMs} ms)`,
    );
  }
  return Object.freeze({
    ttlMs,
    renewIntervalMs,
    acquireIntervalMs,
    selfFenceAfterMs: ttlMs - renewIntervalMs,
  });
}
