import type { ZodType } from 'zod';
import { z } from 'zod';
import { InvalidArgumentError } from '../core/errors.js';
import type { SqlClient } from '../core/sql-client.js';
import type { EventCatalog, UntypedEvents } from './define-events.js';

/**
 * Options of `createEventStore`; `M` is the event map of `events`.
 *
 * @example
 * ```ts
 * const config: EventStoreConfig = { schema: 'tasks', strict: true, eventTypes: { 'task.created': z.object({}) } };
 * ```
 */
export interface EventStoreConfig<M = UntypedEvents> {
  /** The database; without it the store keeps everything in memory. */
  sql?: SqlClient;
  /** PostgreSQL schema for the store's tables. Default `'creatorflow'`. */
  schema?: string;
  /**
   * A catalog from `defineEvents`: its schemas are registered, and the store is
   * typed by them (`append`, reads, processors and projections on it see a
   * union discriminated by `type`). Makes the store strict unless `strict: false`.
   */
  events?: EventCatalog<M>;
  /** Event types with zod schemas, validated on append (untyped; see `events`). */
  eventTypes?: Record<string, ZodType>;
  /** Refuse event types that were not registered. Default false (true with `events`). */
  strict?: boolean;
  /** Largest payload (data + metadata JSON) per event, in bytes. Default 256 KiB. */
  maxPayloadBytes?: number;
  /** Most events in one append. Default 10,000. */
  maxEventsPerAppend?: number;
  /** Group commit: most appends per flush. Default 500. */
  maxBatch?: number;
  /** Group commit: flushes in flight at once. Default: 1 on PGlite, 4 on a pool. */
  maxConcurrentFlushes?: number;
  /**
   * Group commit: the queue is split over several flushes in flight only into
   * flushes of at least this many events (a queue of fewer than twice this
   * goes as one flush: every flush is a round trip and a transaction for both
   * processes). Default 16; 1 spreads every queue evenly over the free flushes.
   */
  minSplitSize?: number;
  /** Months of partitions created ahead by migrate(). Default 3. */
  partitionsAhead?: number;
  /** Backstop poll interval of subscriptions, ms. Default 1000. */
  pollIntervalMs?: number;
  /** The clock stamping `occurredAt` when an event has none. Default `() => new Date()`. */
  now?: () => Date;
  /**
   * How far a given `occurredAt` may lie from the store's clock. It picks the
   * event's monthly partition, so a time from a sender's payload (year 0001, a
   * month already archived) must not reach it: keep such a time in the payload.
   * Outside the window the append is refused with VALIDATION_FAILED. Default
   * 7 days back and 5 minutes ahead; `null` accepts any time (history imports).
   */
  occurredAtWindow?: { pastMs?: number; futureMs?: number } | null;
  /**
   * How long an append keeps trying to reach the database after a timeout or a
   * broken connection, finding out whether its first attempt committed before
   * writing again. After it, the append fails with APPEND_OUTCOME_UNKNOWN (or
   * STORE_UNAVAILABLE when nothing was sent). Default 15,000 ms.
   */
  outcomeRecoveryMs?: number;
  /**
   * Bytes of log pages (their event JSON texts) a SQL store keeps for its
   * followers (processors), so those a few events apart read the log once
   * between them; the oldest pages go first. 0 keeps none (followers then
   * share only pages still being read). Default 4 MiB.
   */
  followWindowBytes?: number;
}

const configSchema = z.object({
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'must be a lower-case identifier of at most 41 characters')
    .default('creatorflow'),
  strict: z.boolean().default(false),
  maxPayloadBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  maxEventsPerAppend: z.number().int().positive().default(10_000),
  maxBatch: z.number().int().positive().default(500),
  maxConcurrentFlushes: z.number().int().positive().optional(),
  minSplitSize: z.number().int().positive().default(16),
  partitionsAhead: z.number().int().min(0).max(24).default(3),
  pollIntervalMs: z.number().int().min(0).default(1000),
  occurredAtWindow: z
    .object({
      pastMs: z
        .number()
        .min(0)
        .default(7 * 24 * 3600_000),
      futureMs: z
        .number()
        .min(0)
        .default(5 * 60_000),
    })
    .strict()
    .nullable()
    .default({ pastMs: 7 * 24 * 3600_000, futureMs: 5 * 60_000 }),
  outcomeRecoveryMs: z.number().int().min(0).default(15_000),
  followWindowBytes: z
    .number()
    .int()
    .min(0)
    .default(4 * 1024 * 1024),
});

/** Validated, frozen store settings. */
export type ResolvedStoreConfig = Readonly<z.infer<typeof configSchema>>;

/** Validate the plain settings of a config; throws {@link InvalidArgumentError}. */
export function resolveStoreConfig<M>(config: EventStoreConfig<M>): ResolvedStoreConfig {
  const { sql: _sql, eventTypes: _types, events, now: _now, ...plain } = config;
  const parsed = configSchema.safeParse({ ...plain, strict: plain.strict ?? events !== undefined });
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new InvalidArgumentError(`Invalid event store config: ${detail}`, { cause: parsed.error });
  }
  return Object.freeze(parsed.data);
}
