/**
 * Errors of the runtime kernel (retries, leases).
 */
import { SyncError } from '../core/errors.js';

/** Error codes raised by the runtime kernel. */
export const RUNTIME_ERROR_CODES = ['ATTEMPT_TIMEOUT', 'LEASE_LOST'] as const;

/**
 * One attempt of `withRetry` ran longer than its `attemptTimeoutMs`: its
 * signal was aborted and its result is ignored (the call itself may still be
 * running, and may still have its effect).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof AttemptTimeoutError) log.warn(`gave up after ${err.timeoutMs} ms`); }
 * ```
 */
export class AttemptTimeoutError extends SyncError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super('ATTEMPT_TIMEOUT', `The attempt did not finish within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Why a holder lost its lease:
 * - `'taken'`: a renewal found it gone (expired and taken by another instance, or deleted);
 * - `'not_renewed'`: no renewal succeeded for ttl − heartbeat, so the holder stopped
 *   itself before anyone else could take the lease (self-fencing);
 * - `'released'`: the holder gave it up (stop), or never held it.
 *
 * @example
 * ```ts
 * const counts = Object.fromEntries(LEASE_LOST_REASONS.map((r) => [r, 0]));
 * processor.on('processor:lease_lost', ({ reason }) => counts[reason]++);
 * ```
 */
export const LEASE_LOST_REASONS = ['taken', 'not_renewed', 'released'] as const;
/** One of {@link LEASE_LOST_REASONS}. */
export type LeaseLostReason = (typeof LEASE_LOST_REASONS)[number];

/**
 * This instance no longer holds its lease. It is the abort reason of a
 * processor handler's `ctx.signal`, and a batch that finished after it is not
 * committed.
 *
 * @example
 * ```ts
 * handle: async (event, { signal }) => {
 *   await callSlowService(event, { signal }); // aborted with a LeaseLostError when the lease goes
 * }
 * processor.on('processor:lease_lost', ({ reason }) => log.warn(`lease lost: ${reason}`));
 * ```
 */
export class LeaseLostError extends SyncError {
  /** The lease name, e.g. `'processor:order_totals'`. */
  readonly lease: string;
  readonly owner: string;
  readonly reason: LeaseLostReason;
  constructor(lease: string, owner: string, reason: LeaseLostReason) {
    const why =
      reason === 'not_renewed'
        ? 'it could not be renewed in time, so this holder stopped before another could take it'
        : reason === 'taken'
          ? 'another instance holds it now'
          : 'it was released';
    super('LEASE_LOST', `Lease "${lease}" of ${owner} was lost: ${why}`);
    this.lease = lease;
    this.owner = owner;
    this.reason = reason;
  }
}

/**
 * True when `err` is a {@link LeaseLostError}.
 *
 * @example
 * ```ts
 * if (isLeaseLostError(signal.reason) && signal.reason.reason === 'not_renewed') log.warn('fenced');
 * ```
 */
export function isLeaseLostError(err: unknown): err is LeaseLostError {
  return err instanceof LeaseLostError;
}
