/**
 * Options of a processor, validated once (zod) and frozen.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../core/errors.js';
import { resolveLogger, type Logger } from '../core/logger.js';
import type { SqlTransaction } from '../core/sql-client.js';
import { isCheckpoint, type LogCheckpoint } from '../core/checkpoint.js';
import type { EventOfType } from '../store/define-events.js';
import type { EventStore, StoredEvent } from '../store/types.js';
import { resolveLeaseTiming, type LeaseTiming } from '../runtime/lease-timing.js';
import { resolveRetryPolicy, type RetryPolicy, type RetryPolicyInput } from '../runtime/retry-policy.js';
import type { CheckpointWrite } from './state/processing-state.js';

/** Run after the batch's checkpoint was stored (its transaction committed), e.g. to publish row changes. */
export type PostCommit = () => void;

/**
 * When a processor saves its checkpoint relative to its handler:
 * - `'exactly-once'`: in the handler's transaction (`ctx.tx`), so database effects
 *   written through `tx` commit or roll back with the checkpoint.
 * - `'at-least-once'`: after the handler succeeded, with no transaction open while
 *   it runs, so it may write through the store (append). A failure or crash in
 *   between delivers the events again: the handler must be idempotent.
 */
export const DELIVERY_MODES = ['exactly-once', 'at-least-once'] as const;
/** One of {@link DELIVERY_MODES}. */
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/** What a handler gets besides the events. */
export interface HandlerContext {
  /**
   * The batch's transaction: write effects here so they commit with the checkpoint.
   * Absent in memory and with `delivery: 'at-least-once'`.
   */
  tx?: SqlTransaction;
  processor: string;
  /** 1 for the first try, then 2, 3, … on retries and redrives. */
  attempt: number;
  /**
   * Aborted (with a `LeaseLostError`, code `LEASE_LOST`) when this instance loses
   * its lease — taken, or not renewed in time — so a long handler can stop: its
   * batch will not be committed. Never aborted without a lease.
   */
  signal: AbortSignal;
  /**
   * `'at-least-once'` on a SQL store: send the batch's one write (an idempotent
   * statement ending in `RETURNING`) in the statement that moves the fenced
   * checkpoint — one round trip and one commit for the batch instead of two —
   * and get its returned rows (as JSON: bigint columns come back as numbers).
   * At most once a batch; the processor stores nothing more for it. A failed
   * fence throws `CheckpointMovedError` (the write is applied regardless, as
   * any at-least-once effect may be). Absent in memory and with
   * `'exactly-once'` (write through `tx`).
   */
  withCheckpoint?: CheckpointWrite;
  /**
   * The whole page the batch was taken from, before `eventTypes` and `filter`
   * (in log order; the batch's events are among them): what else the log held
   * around the handled events, e.g. the earlier events of their streams.
   * Absent when events go one by one (retries after a failed batch, redrives).
   */
  page?: readonly StoredEvent[];
}

/** Handles one event (of type `E`); may return a {@link PostCommit}. */
export type EventHandler<E extends StoredEvent = StoredEvent> = (
  event: E,
  context: HandlerContext,
) => Promise<void | PostCommit> | void | PostCommit;
/** Handles a batch of events (of type `E`) in one transaction; may return a {@link PostCommit}. */
export type BatchHandler<E extends StoredEvent = StoredEvent> = (
  events: readonly E[],
  context: HandlerContext,
) => Promise<void | PostCommit> | void | PostCommit;

/** Where a processor starts when it has no stored checkpoint. */
export type StartFrom = 'beginning' | 'end' | LogCheckpoint;

/**
 * Lease settings; `false` disables leasing (single-process hosts). Defaults: `runtime/lease-timing.ts`.
 *
 * @example
 * ```ts
 * createProcessor({ store, name: 'alerts', handle, lease: { ttlMs: 10_000, renewIntervalMs: 3_000, owner: 'host-a' } });
 * ```
 */
export interface LeaseOptions {
  /** Lease lifetime without a heartbeat (default 6 000 ms): a crashed holder's work moves after it. */
  ttlMs?: number;
  /** Heartbeat interval (default ttl / 3); a holder not renewed for ttl − heartbeat stops itself. */
  renewIntervalMs?: number;
  /** How often a standby instance tries to take the lease (default ttl / 4). */
  acquireIntervalMs?: number;
  /** Owner id of this instance (default `defaultLeaseOwner()`: host:pid:random). */
  owner?: string;
}

/**
 * Options of {@link createProcessor}. On a typed store (event union `E`) the
 * handlers see the events named in `eventTypes` (`T`; all of `E` without it),
 * discriminated by `type`.
 *
 * @example
 * ```ts
 * const options: ProcessorOptions = { store, name: 'audit', handle: (e) => console.log(e.type) };
 * ```
 */
export interface ProcessorOptions<E extends StoredEvent = StoredEvent, T extends E['type'] = E['type']> {
  store: EventStore<E>;
  /** Unique processor name; names its checkpoint, lease and dead letters. */
  name: string;
  /** Per-event handler (give this or `handleBatch`). */
  handle?: EventHandler<EventOfType<E, T>>;
  /** Whole-batch handler, faster for projections (give this or `handle`). */
  handleBatch?: BatchHandler<EventOfType<E, T>>;
  /**
   * `'exactly-once'` (default): the handler runs in the transaction that moves the
   * checkpoint. `'at-least-once'`: it runs with no transaction (`ctx.tx` undefined),
   * may append through the store — which inside the checkpoint transaction would need
   * a second connection, and on PGlite wait on itself — and the checkpoint is saved
   * after it succeeded; handlers must then be idempotent. See {@link DELIVERY_MODES}.
   */
  delivery?: DeliveryMode;
  /** Only these event types reach the handler; others are skipped (the checkpoint still moves). */
  eventTypes?: readonly T[];
  /**
   * Only events it returns true for reach the handler (checked after `eventTypes`);
   * others are skipped and the checkpoint still moves. Must be pure: a partition
   * of a partitioned processor uses it to pick its events.
   */
  filter?: (event: EventOfType<E, T>) => boolean;
  /**
   * The checkpoint must be stored already (a partitioned processor stores every
   * partition's when it records its layout). A missing one means a rebuild retired
   * this processor: it stops and reports a `ProcessorRetiredError`. Default false:
   * a missing checkpoint is created from `startFrom`.
   */
  requireCheckpoint?: boolean;
  /** Events per read and transaction (default 500). */
  batchSize?: number;
  /** Backstop poll interval when no wake-up arrives (default 1000 ms). */
  pollIntervalMs?: number;
  /**
   * After a page shorter than `batchSize` that held events, wait this long
   * before reading again, whatever wakes it (default 0: read on the next
   * wake-up). Under a steady stream of small commits the batches grow from a
   * commit's few events to what arrives in this time, and the batch's
   * statements, its commit and the read are paid once for all of them; an
   * idle processor still reads the first event after a quiet spell at once.
   * Each event waits up to this long more.
   */
  coalesceMs?: number;
  /**
   * Pages with no event for the handler move the position at once but the
   * stored checkpoint at most this often (default 1000 ms; 0: every page).
   * A standby, and `lag()` read from the database, see the skipped events
   * that much later; a crash reads them again, and skips them again. With
   * `delivery: 'at-least-once'` handled batches defer their checkpoint the
   * same way (unless the handler writes through `ctx.withCheckpoint`), also
   * stored once `batchSize` handled events wait: a crash delivers those again.
   */
  skippedCheckpointMs?: number;
  /** Used only when no checkpoint is stored yet (default `'beginning'`). */
  startFrom?: StartFrom;
  /** Retries before an event is dead-lettered (default 5 attempts, exponential backoff with jitter). */
  retry?: RetryPolicyInput;
  /** Lease settings (SQL stores only); `false` to run without one. */
  lease?: false | LeaseOptions;
  /** Interval of `'processor:lag'` events (default 5000 ms; 0 disables). */
  lagIntervalMs?: number;
  /** Pause after an unexpected error in the loop (default 1000 ms). */
  errorBackoffMs?: number;
  /**
   * Where dead letters and background errors are logged (at `error`), besides
   * the `'error'` event. Default: one line on stderr (`defaultLogger`); pass
   * `silentLogger` only when you watch `'error'` yourself.
   */
  logger?: Logger;
}

const nameSchema = z.string().min(1).max(200);
const schema = z.object({
  batchSize: z.number().int().min(1).max(100_000).default(500),
  pollIntervalMs: z.number().int().min(1).default(1000),
  coalesceMs: z.number().int().min(0).max(60_000).default(0),
  skippedCheckpointMs: z.number().int().min(0).default(1000),
  lagIntervalMs: z.number().int().min(0).default(5000),
  errorBackoffMs: z.number().int().min(0).default(1000),
  delivery: z.enum(DELIVERY_MODES).default('exactly-once'),
  startFrom: z
    .union([
      z.literal('beginning'),
      z.literal('end'),
      z.string().refine(isCheckpoint, 'a log checkpoint "<txid>:<pos>"'),
    ])
    .default('beginning'),
  lease: z
    .union([
      z.literal(false),
      z.object({
        ttlMs: z.number().int().min(50).optional(),
        renewIntervalMs: z.number().int().min(10).optional(),
        acquireIntervalMs: z.number().int().min(10).optional(),
        owner: z.string().min(1).optional(),
      }),
    ])
    .default({}),
});

/** Options after validation and defaults. */
export interface ResolvedProcessorOptions {
  readonly store: EventStore;
  readonly name: string;
  readonly batch: BatchHandler;
  readonly delivery: DeliveryMode;
  readonly eventTypes: ReadonlySet<string> | undefined;
  readonly filter: ((event: StoredEvent) => boolean) | undefined;
  readonly requireCheckpoint: boolean;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly coalesceMs: number;
  readonly skippedCheckpointMs: number;
  readonly lagIntervalMs: number;
  readonly errorBackoffMs: number;
  readonly startFrom: StartFrom;
  readonly retry: Readonly<RetryPolicy>;
  readonly lease: false | (LeaseTiming & { readonly owner: string | undefined });
  readonly logger: Logger;
}

/**
 * Validate and freeze processor options; throws {@link InvalidArgumentError}.
 *
 * @example
 * ```ts
 * const resolved = resolveProcessorOptions({ store, name: 'alerts', handle: onEvent });
 * ```
 */
export function resolveProcessorOptions(options: ProcessorOptions): ResolvedProcessorOptions {
  if (!nameSchema.safeParse(options.name).success)
    throw new InvalidArgumentError('processor name must be 1-200 chars');
  if (typeof options.handle !== 'function' && typeof options.handleBatch !== 'function') {
    throw new InvalidArgumentError(`processor "${options.name}" needs a handle or handleBatch function`);
  }
  if (options.filter !== undefined && typeof options.filter !== 'function') {
    throw new InvalidArgumentError(`filter of processor "${options.name}" must be a function`);
  }
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `invalid options of processor "${options.name}": ${z.prettifyError(parsed.error)}`,
    );
  }
  let retry: Readonly<RetryPolicy>;
  try {
    retry = resolveRetryPolicy(options.retry);
  } catch (err) {
    throw new InvalidArgumentError(`invalid retry policy of processor "${options.name}"`, { cause: err });
  }
  const o = parsed.data;
  let lease: ResolvedProcessorOptions['lease'] = false;
  if (o.lease !== false) {
    const { owner, ...timing } = o.lease;
    try {
      lease = { ...resolveLeaseTiming(timing), owner };
    } catch (err) {
      throw new InvalidArgumentError(`invalid lease of processor "${options.name}"`, { cause: err });
    }
  }
  return Object.freeze({
    store: options.store,
    name: options.name,
    batch: options.handleBatch ?? perEvent(options.handle!),
    delivery: o.delivery,
    eventTypes: options.eventTypes ? new Set(options.eventTypes) : undefined,
    filter: options.filter,
    requireCheckpoint: options.requireCheckpoint === true,
    batchSize: o.batchSize,
    pollIntervalMs: o.pollIntervalMs,
    coalesceMs: o.coalesceMs,
    skippedCheckpointMs: o.skippedCheckpointMs,
    lagIntervalMs: o.lagIntervalMs,
    errorBackoffMs: o.errorBackoffMs,
    startFrom: o.startFrom,
    retry,
    lease,
    logger: resolveLogger(options.logger, `processor "${options.name}"`),
  });
}

function perEvent(handle: EventHandler): BatchHandler {
  return async (events, context) => {
    const posts: PostCommit[] = [];
    for (const event of events) {
      const post = await handle(event, context);
      if (typeof post === 'function') posts.push(post);
    }
    return posts.length === 0 ? undefined : () => posts.forEach((p) => p());
  };
}
