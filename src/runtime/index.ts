/**
 * The runtime kernel: what every work loop of the library is built from —
 * one retry policy and `withRetry`, one failure classifier, leases with a
 * heartbeat, one group-commit batcher and one poll loop (with its pause).
 * Imports `core` only.
 */
export {
  DATABASE_RETRY_POLICY,
  DEFAULT_RETRY_POLICY,
  nominalRetryDelayMs,
  resolveRetryPolicy,
  retryPolicySchema,
  type RetryPolicy,
  type RetryPolicyInput,
} from './retry-policy.js';
export {
  withRetry,
  type FailedAttempt,
  type RetryAttemptContext,
  type WithRetryOptions,
} from './with-retry.js';
export {
  classifyFailure,
  FAILURE_KINDS,
  isConnectionFailure,
  isTransientFailure,
  type ClassifyOptions,
  type FailureKind,
} from './classify-failure.js';
export {
  AttemptTimeoutError,
  isLeaseLostError,
  LEASE_LOST_REASONS,
  LeaseLostError,
  RUNTIME_ERROR_CODES,
  type LeaseLostReason,
} from './errors.js';
export {
  allSucceed,
  GroupCommitter,
  type FlushFn,
  type FlushOutcome,
  type GroupCommitOptions,
} from './group-commit.js';
export { Heartbeat, type HeartbeatOptions } from './heartbeat.js';
export { LeaseKeeper, type LeaseKeeperOptions, type LeasePort } from './lease-keeper.js';
export { defaultLeaseOwner } from './lease-owner.js';
export {
  DEFAULT_LEASE_TTL_MS,
  resolveLeaseTiming,
  type LeaseTiming,
  type LeaseTimingOptions,
} from './lease-timing.js';
export { PollLoop, type PollLoopOptions, type PollOutcome, type PollWait } from './poll-loop.js';
export { everyInterval } from './every-interval.js';
export { WakeableSleep, type SleepOptions } from './wakeable-sleep.js';
