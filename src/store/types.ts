/**
 * The event store contract. Implemented by the in-memory store and the
 * PostgreSQL store (on `pg` or PGlite); one contract suite tests them all.
 */
import type { Observable } from 'rxjs';
import type { ZodType } from 'zod';
import type { SqlClient, SqlTransaction } from '../core/sql-client.js';
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { NewEventFor } from './define-events.js';

/**
 * What an append expects of its stream:
 * a number (the stream's current version; 0 = no events yet), `'any'`,
 * `'no_stream'` (the stream must not exist) or `'stream_exists'`.
 */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

/** Metadata carried by every event. Extra keys are kept as given. */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  userId?: string;
  /** Where the change came from, e.g. `'tiktok_webhook'`. */
  source?: string;
  [key: string]: unknown;
}

/** An event to append. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  /** Merged over the append's `metadata`. */
  metadata?: EventMetadata;
  /** A uuid; generated when absent. */
  id?: string;
  /** When it happened (e.g. the webhook's timestamp); the store's clock when absent. */
  occurredAt?: Date;
}

/**
 * Options of {@link EventStore.append}.
 *
 * @example
 * ```ts
 * await store.append('task-1', events, {
 *   aggregateType: 'task', expectedVersion: 3, idempotencyKey: `cmd:${commandId}`,
 *   metadata: { correlationId, userId },
 * });
 * ```
 */
export interface AppendOptions {
  /** e.g. `'order'`, `'inventory'`. Default `'unknown'`. */
  aggregateType?: string;
  /** Default `'any'`. */
  expectedVersion?: ExpectedVersion;
  /** A repeated key returns the first append's result and writes nothing. */
  idempotencyKey?: string;
  /** Metadata applied to every event of the append. */
  metadata?: EventMetadata;
  /**
   * A write of another component committed in this append's own statement
   * (a saga step's log entry). Only a SQL store whose client the writer
   * accepts (`writer.isOn`) applies it, and only with events this append
   * writes: an append answered by an earlier one (`duplicate`) carries it
   * only where the writer finds it applied already. Wherever it is not
   * applied, `committed` is never called, so its owner writes it the usual way.
   */
  joined?: JoinedWrite;
}

/**
 * A write committed in an append's statement, after the events: see
 * {@link AppendOptions.joined}.
 *
 * @example
 * ```ts
 * const joined: JoinedWrite = { writer, item: { sagaId: 'o-1', token: 3 }, committed: () => done.add('o-1') };
 * await store.append('order-1', events, { idempotencyKey: 'o-1:pay', joined });
 * ```
 */
export interface JoinedWrite {
  /** Writes that share a writer go in one call per flush. */
  readonly writer: JoinedWriter;
  /** This write, as the writer's call takes it (JSON). */
  readonly item: Readonly<Record<string, unknown>>;
  /** Called once the append committed with this write applied (the writer's call returned its `req`). */
  committed(): void;
}

/**
 * The SQL side of {@link JoinedWrite}s: an expression evaluated once per
 * flush, after `append_batch`, in the same statement. It raises to refuse the
 * flush (the statement rolls back: no events, no write), and returns the
 * `req` of each item it applied (an `integer[]`): only those are told they
 * committed.
 *
 * @example
 * ```ts
 * const writer: JoinedWriter = {
 *   isOn: (sql) => sql === client,
 *   expression: (items, ok, written) => `app.record_joined(${items}::jsonb, ${ok}, ${written})`,
 *   errorOf: () => undefined,
 * };
 * ```
 */
export interface JoinedWriter {
  /** True when its tables are reachable through `sql` (same database). */
  isOn(sql: SqlClient): boolean;
  /**
   * The call, given the parameter holding the flush's items (a JSON array,
   * each with `req`: its request's 1-based position in the flush) and two
   * `boolean[]` expressions: whether each request's append succeeded, and
   * whether it wrote its events now (not answered by an earlier append).
   * It evaluates to the `req`s of the items applied.
   */
  expression(itemsParam: string, okExpression: string, writtenExpression: string): string;
  /** Its own typed error for a failure of the statement its call raised (else undefined). */
  errorOf(error: unknown, items: readonly Readonly<Record<string, unknown>>[]): Error | undefined;
}

/** What an append wrote. */
export interface AppendResult {
  streamId: string;
  /** The stream's version after the append (the version of its last event). */
  nextVersion: number;
  /** The global position of each appended event, in order. */
  positions: number[];
  /** The log checkpoint of the append's last event. */
  checkpoint: LogCheckpoint;
  /** True when this result is a replay of an earlier append with the same idempotency key. */
  duplicate: boolean;
}

/**
 * One append of {@link EventStore.appendMany}: what {@link EventStore.append} takes.
 *
 * @example
 * ```ts
 * const request: AppendRequest = {
 *   streamId: 'inventory-sku-1',
 *   events: [{ type: 'inventory.stock_updated', data: { quantity: 7 } }],
 *   options: { aggregateType: 'inventory', idempotencyKey: 'settle:w-1' },
 * };
 * ```
 */
export interface AppendRequest<E extends StoredEvent = StoredEvent> {
  streamId: string;
  events: readonly NewEventFor<E>[];
  options?: AppendOptions;
}

/** An event as stored. */
export interface StoredEvent<Data = unknown, Type extends string = string> {
  id: string;
  aggregateId: string;
  aggregateType: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** 1-based version within its stream. */
  version: number;
  /** Position in the global log (unique, increasing; commit order is the checkpoint order). */
  globalPosition: number;
  occurredAt: Date;
  /** When the store wrote it. */
  processedAt: Date;
  /** This event's position in commit order; resume after it with `readAll({ after })`. */
  checkpoint: LogCheckpoint;
}

/**
 * Options of {@link EventStore.readStream}.
 *
 * @example
 * ```ts
 * const { events } = await store.readStream('task-1', { fromVersion: 10, maxCount: 100 });
 * ```
 */
export interface ReadStreamOptions {
  /** First version to return (1-based). Default 1. */
  fromVersion?: number;
  /** At most this many events. */
  maxCount?: number;
}

/** A stream read; `E` is the store's event union (`EventOf<M>` of a typed store). */
export interface ReadStreamResult<E extends StoredEvent = StoredEvent> {
  /** The stream's current version (0 when it does not exist). */
  version: number;
  events: E[];
}

/**
 * Options of {@link EventStore.readAll}.
 *
 * @example
 * ```ts
 * const page = await store.readAll({ after: checkpoint, limit: 500 });
 * ```
 */
export interface ReadAllOptions {
  /** Read events after this checkpoint. Default: from the start. */
  after?: LogCheckpoint;
  /** At most this many events. Default 1000. */
  limit?: number;
  /**
   * Read inside this open transaction of the store's database, with what its
   * snapshot sees and no reader horizon: the caller holds what keeps a
   * concurrent commit out of the range it reads (a rebuild's swap holds every
   * inline hook on the projection's lock). Ignored by the in-memory store.
   */
  tx?: SqlTransaction;
  /**
   * The caller follows the log: it reads again on every wake-up of
   * {@link EventStore.wakeups} it subscribes to (and polls as a backstop), as
   * processors do. Its page may then be one read for another follower of this
   * store in this process since the last wake-up (at most 50 ms before), which
   * saves a read per follower; it holds every commit that woke the caller.
   * A reader that does not follow wake-ups (a commit in another process,
   * then a read) leaves it off. Ignored by the in-memory store and with `tx`.
   */
  follow?: boolean;
}

/** A page of the global log; `E` is the store's event union (`EventOf<M>` of a typed store). */
export interface ReadAllResult<E extends StoredEvent = StoredEvent> {
  /** Events in commit order. */
  events: E[];
  /** Where the next read continues: the last event's checkpoint, or `after` when nothing was read. */
  checkpoint: LogCheckpoint;
}

/**
 * Options of {@link EventStore.subscribe}.
 *
 * @example
 * ```ts
 * store.subscribe({ after: 'end', batchSize: 200, pollIntervalMs: 500 }).subscribe((e) => console.log(e.type));
 * ```
 */
export interface SubscribeOptions {
  /** Start after this checkpoint, or at `'start'` (default) or `'end'` of the log. */
  after?: LogCheckpoint | 'start' | 'end';
  /** Events per read. Default 500. */
  batchSize?: number;
  /** Backstop poll interval in ms when notifications are missed or unavailable. Default 1000 (PGlite/pg), 0 in memory. */
  pollIntervalMs?: number;
}

/** Lag of log readers: events committed but held back behind an open transaction. */
export interface ReaderLag {
  /** Events written by transactions that readers may not pass yet. */
  heldBackEvents: number;
  /** Age in ms of the oldest open transaction holding readers back (null when none). */
  oldestOpenTransactionMs: number | null;
}

/**
 * Options of {@link EventStore.archive}.
 *
 * @example
 * ```ts
 * const months = await store.archive({ olderThan: new Date('2025-01-01') }); // ['2024-11', '2024-12']
 * ```
 */
export interface ArchiveOptions {
  /** Archive whole months that end on or before this date. Default: two years ago. */
  olderThan?: Date;
}

/** Work run inside the append transaction, for inline projections. */
export interface InlineHook {
  readonly name: string;
  /**
   * The event types it reads: a batch with none of them is not shown to it,
   * and a batch no hook reads is written in one statement, without a
   * transaction around it. Absent: every batch.
   */
  readonly eventTypes?: ReadonlySet<string>;
  /**
   * Called with the events of one committed-together batch, inside its
   * transaction (`tx` is absent for the in-memory store). Throwing fails the
   * append. May return a callback run after the commit.
   */
  apply(context: { tx?: SqlTransaction; events: readonly StoredEvent[] }): Promise<void | (() => void)>;
  /**
   * Called on a SQL store inside the batch's transaction before its events are
   * written, so before the transaction has an id: the log orders transactions
   * by id, so flushes that wait on each other here also follow each other in
   * the log. An inline fold that takes its row locks here folds concurrent
   * flushes in log order, and equals a rebuild. Not called in memory (one
   * batch at a time). `events` lack what only the write gives (version,
   * global position, checkpoint, processing time: zero values).
   */
  lockBeforeWrite?(context: { tx: SqlTransaction; events: readonly StoredEvent[] }): Promise<void>;
  /**
   * Called on a SQL store after a flush it shows this hook committed, when an
   * earlier attempt of that flush had an unknown outcome (a client timeout, a
   * dropped connection) and some of its events were found stored: that
   * attempt committed them, its `apply` ran in its transaction, and the
   * callback `apply` returned never ran. A hook that publishes after commit
   * (row changes) tells its consumers here that they missed some.
   */
  outcomeRecovered?(): void;
}

/**
 * An append-only, event-sourced store with optimistic concurrency, idempotency
 * keys and a gapless global log. `E` is the union of its events: a store made
 * with `createEventStore({ events: defineEvents({...}) })` accepts and returns
 * only the catalog's events, discriminated by `type` (`EventStore<CatalogEvent<typeof catalog>>`);
 * untyped, any type with `unknown` data.
 *
 * @example
 * ```ts
 * const store = createEventStore({ sql: fromPglite(new PGlite()) });
 * await store.migrate();
 * const { nextVersion } = await store.append('order-42', [{ type: 'order.validated', data: {} }], {
 *   aggregateType: 'order', expectedVersion: 'no_stream',
 * });
 * ```
 */
export interface EventStore<E extends StoredEvent = StoredEvent> {
  /** The SQL port the store runs on (absent for the in-memory store). */
  readonly sql: SqlClient | undefined;
  /** The PostgreSQL schema holding the store's tables. */
  readonly schema: string;
  /** Create or upgrade the schema. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Append events to one stream atomically. */
  append(streamId: string, events: readonly NewEventFor<E>[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Append to several streams in one transaction (one group-commit flush,
   * which concurrent appends may join): each request has its own expected
   * version and idempotency key and gets its own outcome, in order, as if
   * appended one after the other — a version conflict, a repeated key or a bad
   * argument fails only its request; requests on one stream chain their
   * versions. Inline hooks see the whole transaction's events at once. Should
   * the transaction fail as a whole (an inline hook throws), the requests are
   * written apart, as concurrent appends are, so that only the culprits fail.
   *
   * @example
   * ```ts
   * const outcomes = await store.appendMany([
   *   { streamId: 'order-1', events: [{ type: 'order.reconciled', data: {} }], options: { expectedVersion: 3 } },
   *   { streamId: 'order-2', events: [{ type: 'order.reconciled', data: {} }], options: { idempotencyKey: 'r-2' } },
   * ]);
   * for (const o of outcomes) if (o.status === 'rejected') console.error(o.reason);
   * ```
   */
  appendMany(requests: readonly AppendRequest<E>[]): Promise<PromiseSettledResult<AppendResult>[]>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<ReadStreamResult<E>>;
  /** Read the global log in commit order; never skips nor repeats an event. */
  readAll(options?: ReadAllOptions): Promise<ReadAllResult<E>>;
  /** Live stream of stored events in commit order, from a checkpoint. */
  subscribe(options?: SubscribeOptions): Observable<E>;
  /**
   * The checkpoint of the last event readers can pass now: an append still
   * open holds it below events committed after that append began. Where to
   * start reading "from the end" without skipping that append's events.
   */
  headCheckpoint(): Promise<LogCheckpoint>;
  /**
   * What tells this log from every other: positions (checkpoints) of two logs
   * are not comparable, so whoever keeps a position for later — a realtime
   * cursor — keeps this with it and trusts the position only on a log with the
   * same identity. On SQL a random id made when the schema's log was created
   * (store migration 11) with the events table's oid (a fresh database, a
   * schema made again or a logical restore changes it; the hosts of one
   * database share it); in memory a random id per store.
   *
   * @example
   * ```ts
   * const identity = await store.logIdentity(); // '5b0c…-….16423'
   * ```
   */
  logIdentity(): Promise<string>;
  /**
   * The checkpoint of the newest committed event, also one that readers
   * cannot pass yet (see {@link EventStore.headCheckpoint}): a reader at or
   * past it has read every event committed before the call. What
   * `whenCaughtUp()` waits for. Callers in one turn share one read; with
   * `maxAgeMs` (lag reports) the store's last read serves while it is that
   * recent and no wake-up came since.
   *
   * @example
   * ```ts
   * const target = await store.committedCheckpoint();
   * await processor.whenCaughtUp({ to: target });
   * ```
   */
  committedCheckpoint(options?: { maxAgeMs?: number }): Promise<LogCheckpoint>;
  /**
   * How far log readers are held back by open transactions. Callers in one
   * turn share one read; with `maxAgeMs` (reports) the store's last read
   * serves while it is that recent and no wake-up came since.
   */
  readerLag(options?: { maxAgeMs?: number }): Promise<ReaderLag>;
  /** Validate payloads of `type` with a zod schema on append. */
  registerEventType(type: string, schema: ZodType): void;
  /** Run `hook` inside every append transaction; returns a function that removes it. */
  addInlineHook(hook: InlineHook): () => void;
  /** Move whole old months out of the live log; returns the archived month keys (`'2024-01'`). */
  archive(options?: ArchiveOptions): Promise<string[]>;
  /** Move an archived month back into the live log. */
  restoreArchived(month: string): Promise<void>;
  /** A stream of "something was appended" wake-ups (notifications or local commits). */
  readonly wakeups: Observable<void>;
  /** Stop accepting work, flush pending appends and release resources. */
  close(): Promise<void>;
}
