/**
 * Errors of the processing module. Each has a stable `code` callers branch on.
 */
import { NotFoundError, SyncError } from '../core/errors.js';
import type { LogCheckpoint } from '../core/checkpoint.js';

/**
 * The stored checkpoint of a processor is not the one this instance started its
 * batch from: another holder (or a rebuild swap) moved it. The batch is rolled
 * back and the processor reloads its checkpoint; this is the fence that keeps a
 * read model exactly-once when two instances briefly both believe they hold the lease.
 *
 * @example
 * ```ts
 * if (err instanceof CheckpointMovedError) console.log(err.expected, err.actual);
 * ```
 */
export class CheckpointMovedError extends SyncError {
  readonly processor: string;
  readonly expected: LogCheckpoint;
  readonly actual: LogCheckpoint | null;
  constructor(processor: string, expected: LogCheckpoint, actual: LogCheckpoint | null) {
    super(
      'CHECKPOINT_MOVED',
      `Processor "${processor}" expected its checkpoint at ${expected} but it is at ${actual ?? 'nothing'}`,
    );
    this.processor = processor;
    this.expected = expected;
    this.actual = actual;
  }
}

// Leases belong to the runtime kernel; re-exported so processing's callers keep one import.
export {
  isLeaseLostError,
  LEASE_LOST_REASONS,
  LeaseLostError,
  type LeaseLostReason,
} from '../runtime/errors.js';

/**
 * A dead letter (or another named processing resource) does not exist.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ProcessingNotFoundError) reply(404); }
 * ```
 */
export class ProcessingNotFoundError extends NotFoundError {}

/**
 * True when `err` is a {@link CheckpointMovedError}.
 *
 * @example
 * ```ts
 * if (isCheckpointMovedError(err)) reloadCheckpoint();
 * ```
 */
export function isCheckpointMovedError(err: unknown): err is CheckpointMovedError {
  return err instanceof CheckpointMovedError;
}

/**
 * A processor told to require its stored checkpoint (a partition) found none: a
 * rebuild retired it when it changed the partition layout. The processor stops;
 * restart the host with the new layout.
 *
 * @example
 * ```ts
 * processor.on('error', (err) => { if (err instanceof ProcessorRetiredError) redeploy(); });
 * ```
 */
export class ProcessorRetiredError extends SyncError {
  readonly processor: string;
  constructor(processor: string) {
    super(
      'PROCESSOR_RETIRED',
      `Processor "${processor}" has no stored checkpoint: a rebuild retired it (the partition layout changed)`,
    );
    this.processor = processor;
  }
}

/**
 * A partitioned processor (or projection) was started with another partition
 * count than the one recorded for its name. Each layout has its own
 * checkpoints, so the count only changes with a rebuild.
 *
 * @example
 * ```ts
 * try { await projection.start(); }
 * catch (err) { if (err instanceof ProcessorLayoutError) await projection.rebuild(); }
 * ```
 */
export class ProcessorLayoutError extends SyncError {
  readonly processor: string;
  /** The partition count asked for. */
  readonly partitions: number;
  /** The partition count recorded in the database. */
  readonly storedPartitions: number;
  constructor(processor: string, partitions: number, storedPartitions: number) {
    super(
      'PROCESSOR_LAYOUT_CHANGED',
      `Processor "${processor}" is laid out in ${storedPartitions} partition(s), not ${partitions}: ` +
        'changing the partition count needs a rebuild',
    );
    this.processor = processor;
    this.partitions = partitions;
    this.storedPartitions = storedPartitions;
  }
}

/**
 * An event failed every attempt of its processor's handler and was moved to
 * the dead-letter queue. Emitted as the processor's (and its projection's)
 * `'error'`, and logged, so a failing read model is never silent; `cause` is
 * the handler's last error. Processing goes on after it.
 *
 * @example
 * ```ts
 * projection.on('error', (err) => {
 *   if (isProcessorDeadLetteredError(err)) pager.alert(`${err.processor}: ${err.eventType} ${err.eventId}`);
 * });
 * ```
 */
export class ProcessorDeadLetteredError extends SyncError {
  readonly processor: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempts: number;
  /** Id of the dead letter, for `processor.redrive({ ids: [deadLetterId] })`. */
  readonly deadLetterId: string;
  constructor(info: {
    processor: string;
    eventId: string;
    eventType: string;
    attempts: number;
    deadLetterId: string;
    cause: unknown;
  }) {
    super(
      'PROCESSOR_DEAD_LETTERED',
      `Processor "${info.processor}" dead-lettered event ${info.eventId} (${info.eventType}) ` +
        `after ${info.attempts} attempt(s): ${describeCause(info.cause)}`,
      { cause: info.cause },
    );
    this.processor = info.processor;
    this.eventId = info.eventId;
    this.eventType = info.eventType;
    this.attempts = info.attempts;
    this.deadLetterId = info.deadLetterId;
  }
}

/**
 * True when `err` is a {@link ProcessorDeadLetteredError}.
 *
 * @example
 * ```ts
 * processor.on('error', (err) => { if (isProcessorDeadLetteredError(err)) count(err.processor); });
 * ```
 */
export function isProcessorDeadLetteredError(err: unknown): err is ProcessorDeadLetteredError {
  return err instanceof ProcessorDeadLetteredError;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * The processor was stopped: the abort reason of a running handler's
 * `ctx.signal` when `stop()` is called.
 *
 * @example
 * ```ts
 * handle: async (event, { signal }) => { await work(event, { signal }); } // aborted with ProcessorStoppedError on stop()
 * ```
 */
export class ProcessorStoppedError extends SyncError {
  readonly processor: string;
  constructor(processor: string) {
    super('PROCESSOR_STOPPED', `Processor "${processor}" stopped`);
    this.processor = processor;
  }
}

/**
 * An operation that needs a stopped processor (`seek`) was called on a running one.
 *
 * @example
 * ```ts
 * await processor.stop(); await processor.seek(START_CHECKPOINT); // not ProcessorRunningError
 * ```
 */
export class ProcessorRunningError extends SyncError {
  readonly processor: string;
  constructor(processor: string, operation: string) {
    super('PROCESSOR_RUNNING', `Stop processor "${processor}" before ${operation}`);
    this.processor = processor;
  }
}

/**
 * `whenCaughtUp({ timeoutMs })` gave up before the processor reached the target checkpoint.
 *
 * @example
 * ```ts
 * catch (err) { if (isProcessorWaitTimeoutError(err)) console.warn(err.processor, 'is behind', err.target); }
 * ```
 */
export class ProcessorWaitTimeoutError extends SyncError {
  readonly processor: string;
  readonly target: LogCheckpoint;
  readonly timeoutMs: number;
  constructor(processor: string, target: LogCheckpoint, timeoutMs: number, what = 'Processor') {
    super(
      'PROCESSOR_WAIT_TIMEOUT',
      `${what} "${processor}" did not catch up to ${target} in ${timeoutMs} ms`,
    );
    this.processor = processor;
    this.target = target;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * True when `err` is a {@link ProcessorWaitTimeoutError}.
 *
 * @example
 * ```ts
 * if (isProcessorWaitTimeoutError(err)) reply(504);
 * ```
 */
export function isProcessorWaitTimeoutError(err: unknown): err is ProcessorWaitTimeoutError {
  return err instanceof ProcessorWaitTimeoutError;
}
