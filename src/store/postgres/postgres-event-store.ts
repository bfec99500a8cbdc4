/**
 * The event store on PostgreSQL — a `pg` pool or embedded PGlite, same SQL.
 */
import { randomUUID } from 'node:crypto';
import { readAllInTransaction } from './read-in-transaction.js';
import type { Observable } from 'rxjs';
import type { ZodType } from 'zod';
import { AppendOutcomeUnknownError, StoreClosedError, StoreUnavailableError } from '../../core/errors.js';
import { runMigrations } from '../../core/migrator.js';
import { classifyFailure } from '../../runtime/classify-failure.js';
import { GroupCommitter, type FlushOutcome } from '../../runtime/group-commit.js';
import { DATABASE_RETRY_POLICY } from '../../runtime/retry-policy.js';
import { withRetry } from '../../runtime/with-retry.js';
import { PG_ERROR, pgErrorCode, type SqlClient } from '../../core/sql-client.js';
import { START_CHECKPOINT, type LogCheckpoint } from '../../core/checkpoint.js';
import type { EventTypeRegistry } from '../event-registry.js';
import { followLog } from '../live-subscription.js';
import { prepareAppend, type PreparedAppend } from '../prepare-append.js';
import { assertReadAllLimit, assertReadStreamArgs } from '../read-args.js';
import { appendManyWith } from '../append-many.js';
import { migrations } from '../sql/index.generated.js';
import type { ResolvedStoreConfig } from '../store-config.js';
import type {
  AppendOptions,
  AppendRequest,
  AppendResult,
  ArchiveOptions,
  EventStore,
  InlineHook,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReaderLag,
  ReadStreamOptions,
  ReadStreamResult,
  StoredEvent,
  SubscribeOptions,
} from '../types.js';
import { Wakeups } from '../wakeups.js';
import { traceStage } from '../../core/stage-trace.js';
import { hooksFor, pendingEvents } from '../inline-hooks.js';
import { AppendWriter, joinedCalls, type WriteMode, type WrittenBatch } from './append-writer.js';
import { StreamReads } from './stream-reads.js';
import { LogReader } from './log-reader.js';
import { readLogIdentity } from './log-identity.js';
import { SharedHead } from '../shared-head.js';
import { archiveMonths, restoreMonth } from './archive.js';
import { defaultArchiveCutoff, monthKey, monthStart, PartitionManager } from './partitions.js';

/** Tell each joined write its writer applied that it committed (the flush is committed). */
function joinedCommitted(
  batch: readonly PreparedAppend[],
  { outcomes, joinedApplied }: WrittenBatch,
): FlushOutcome<AppendResult>[] {
  batch.forEach((req, i) => {
    if (req.joined && outcomes[i]?.ok && joinedApplied.has(i)) req.joined.committed();
  });
  return outcomes;
}

/** A joined writer's own typed error for a statement its call raised, if it was that. */
function joinedErrorOf(batch: readonly PreparedAppend[], err: unknown): Error | undefined {
  for (const call of joinedCalls(batch)) {
    const error = call.writer.errorOf(err, call.items);
    if (error) return error;
  }
  return undefined;
}

/** Definite failures of the batch's own (a taken event id, a missing partition) get this many more tries. */
const MAX_RETRIES = 3;
/** Until the recovery window ends: finding out what an attempt of unknown outcome did may take a while. */
const FLUSH_RETRY = { ...DATABASE_RETRY_POLICY, attempts: Number.POSITIVE_INFINITY };

/** What a failed flush attempt proves about the database's state (its own statements only). */
function outcomeOf(err: unknown) {
  return classifyFailure(err, { network: false });
}

/** The database was unreachable or the connection broke: nothing about the batch is known to be wrong. */
function isUnreachable(err: unknown): boolean {
  const kind = outcomeOf(err);
  return kind === 'not_sent' || kind === 'unknown';
}

/**
 * The server rolled the attempt back for reasons outside the batch: a
 * serialization failure (40001: a stream's newer last writer, see
 * sql/0008_stream_order_in_log.sql) or a deadlock. Nothing was written, and
 * running it again is right however often it happens.
 */
function isRolledBack(err: unknown): boolean {
  return outcomeOf(err) === 'rolled_back';
}

/** An event id of the flush is stored already (event_ids' primary key). */
function isEventIdTaken(err: unknown): boolean {
  return (
    pgErrorCode(err) === PG_ERROR.uniqueViolation && /event_ids_pkey/.test(String((err as Error).message))
  );
}

/** The insert found no partition for its month. */
function isMissingPartition(err: unknown): boolean {
  return pgErrorCode(err) === PG_ERROR.checkViolation && /no partition/i.test(String(err));
}

/**
 * The rows an append locks in `append_batch` until its flush commits: its
 * stream's row and its idempotency key's claim. (Event ids are unique per
 * append, and the writer lock is shared.)
 */
function lockedRowsOf(request: PreparedAppend): string[] {
  const stream = `stream:${request.streamId}`;
  return request.idempotencyKey === undefined ? [stream] : [stream, `key:${request.idempotencyKey}`];
}

/**
 * The attempts of one flush whose outcome the client lost (timeout, broken
 * connection): each is fenced before the flush runs again. Shared with the
 * halves of a split flush.
 */
interface LostAttempts {
  ids: string[];
  /** How many of `ids` are fenced (committed) already. */
  fenced: number;
}

/** The PostgreSQL implementation of {@link EventStore}; build it with `createEventStore({ sql })`. */
export class PostgresEventStore implements EventStore {
  readonly sql: SqlClient;
  readonly schema: string;
  readonly wakeups: Observable<void>;
  readonly #config: ResolvedStoreConfig;
  readonly #registry: EventTypeRegistry;
  readonly #now: () => Date;
  readonly #partitions: PartitionManager;
  readonly #reader: LogReader;
  readonly #writer: AppendWriter;
  readonly #committer: GroupCommitter<PreparedAppend, AppendResult>;
  readonly #hooks = new Set<InlineHook>();
  #identity: Promise<string> | undefined;
  /** PGlite: the database runs one transaction at a time, for this process only. */
  readonly #oneTransactionAtATime: boolean;
  readonly #wakeups: Wakeups;
  readonly #committedHead: SharedHead<LogCheckpoint>;
  readonly #readerLag: SharedHead<ReaderLag>;
  readonly #streamReads: StreamReads;
  #closed = false;

  constructor(sql: SqlClient, config: ResolvedStoreConfig, registry: EventTypeRegistry, now: () => Date) {
    this.sql = sql;
    this.schema = config.schema;
    this.#oneTransactionAtATime = sql.dialect === 'pglite';
    this.#config = config;
    this.#registry = registry;
    this.#now = now;
    const channel = `creatorflow_events_${config.schema}`;
    this.#partitions = new PartitionManager(sql, config.schema);
    this.#wakeups = new Wakeups(sql, channel);
    const wakeups = this.#wakeups;
    this.#reader = new LogReader(sql, config.schema, {
      readAhead: (sql.maxConcurrency ?? 1) > 1,
      generation: () => wakeups.generation,
      followWindowBytes: config.followWindowBytes,
    });
    this.#writer = new AppendWriter(config.schema, channel);
    const reader = this.#reader;
    this.#committedHead = new SharedHead(
      () => reader.committedHead(),
      () => wakeups.generation,
    );
    this.#readerLag = new SharedHead(
      () => reader.lag(),
      () => wakeups.generation,
    );
    this.wakeups = this.#wakeups.signals;
    this.#committer = new GroupCommitter((batch) => this.#flush(this.#joinable(batch)), {
      maxBatch: config.maxBatch,
      maxInFlight: config.maxConcurrentFlushes ?? Math.min(4, sql.maxConcurrency ?? 4),
      // Counted in events: a flush of a few large appends is worth splitting, one of a few events is not.
      minSplitSize: config.minSplitSize,
      sizeOf: (request) => Math.max(1, request.events.length),
      // The rows append_batch locks: a request for a stream (or key) that a
      // flush in flight holds waits in the queue, not in the database.
      keysOf: lockedRowsOf,
    });
    this.#streamReads = new StreamReads(sql, config.schema);
  }

  async migrate(): Promise<void> {
    this.#assertOpen();
    await runMigrations(this.sql, { schema: this.schema, component: 'store', migrations });
    const current = monthKey(this.#now());
    const months = [];
    for (let offset = -1; offset <= this.#config.partitionsAhead; offset++)
      months.push(monthKey(monthStart(current, offset)));
    this.#partitions.invalidate();
    await this.#partitions.ensure(months);
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    try {
      this.#assertOpen();
      const limits = this.#config;
      return this.#committer.submit(
        prepareAppend(streamId, events, options, this.#registry, limits, this.#now),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async appendMany(requests: readonly AppendRequest[]): Promise<PromiseSettledResult<AppendResult>[]> {
    this.#assertOpen();
    // The checked requests share one flush.
    return appendManyWith(
      requests,
      (r) => prepareAppend(r.streamId, r.events, r.options, this.#registry, this.#config, this.#now),
      (prepared) => this.#committer.submitMany(prepared),
    );
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    try {
      this.#assertOpen();
      // Concurrent reads share one statement (stream-reads.ts): a bad read must not join it.
      assertReadStreamArgs(streamId, options);
      return this.#streamReads.read(streamId, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    try {
      this.#assertOpen();
      // Followers share pages: a bad limit must not reach one.
      assertReadAllLimit(options.limit);
      const after = options.after ?? START_CHECKPOINT;
      const limit = options.limit ?? 1000;
      if (options.tx) return readAllInTransaction(options.tx, this.schema, after, limit);
      if (options.follow) return this.#reader.readFollowing(after, limit);
      return this.#reader.readAll(after, limit);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  subscribe(options: SubscribeOptions = {}): Observable<StoredEvent> {
    return followLog(this, options, this.#config.pollIntervalMs);
  }

  headCheckpoint(): Promise<LogCheckpoint> {
    return this.#reader.head();
  }

  logIdentity(): Promise<string> {
    // Read once; a failed read (the schema not migrated yet, a dropped connection) is read again.
    this.#identity ??= readLogIdentity(this.sql, this.schema).catch((err: unknown) => {
      this.#identity = undefined;
      throw err;
    });
    return this.#identity;
  }

  committedCheckpoint(options: { maxAgeMs?: number } = {}): Promise<LogCheckpoint> {
    try {
      this.#assertOpen();
      return this.#committedHead.read(options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readerLag(options: { maxAgeMs?: number } = {}): Promise<ReaderLag> {
    return this.#readerLag.read(options);
  }

  registerEventType(type: string, schema: ZodType): void {
    this.#registry.register(type, schema);
  }

  addInlineHook(hook: InlineHook): () => void {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  async archive(options: ArchiveOptions = {}): Promise<string[]> {
    this.#assertOpen();
    const olderThan = options.olderThan ?? defaultArchiveCutoff(this.#now());
    const archived = await archiveMonths(this.sql, this.schema, await this.#partitions.list(), olderThan);
    this.#partitions.invalidate();
    this.#reader.forgetReadAhead();
    this.#committedHead.forget();
    this.#readerLag.forget();
    return archived;
  }

  async restoreArchived(month: string): Promise<void> {
    this.#assertOpen();
    await restoreMonth(this.sql, this.schema, month);
    this.#partitions.invalidate();
    this.#reader.forgetReadAhead();
    this.#committedHead.forget();
    this.#readerLag.forget();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#committer.drained();
    await this.#wakeups.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /**
   * One group-commit flush: find out what an attempt with an unknown outcome
   * did before writing again, retry what is retryable, and isolate what is one
   * request's fault.
   */
  async #flush(
    batch: readonly PreparedAppend[],
    mode: WriteMode = 'normal',
    lost: LostAttempts = { ids: [], fenced: 0 },
  ): Promise<FlushOutcome<AppendResult>[]> {
    const months = new Set(batch.flatMap((req) => req.events.map((e) => monthKey(e.occurredAt))));
    let current = mode;
    let unknown = mode === 'recover';
    let definiteRetries = 0;
    /** The attempt on its way to the server, if the current try got that far. */
    let sent: string | undefined;
    try {
      return await withRetry(
        async () => {
          sent = undefined;
          await this.#partitions.ensure(months);
          if (lost.fenced < lost.ids.length) {
            // Only this flush's own lost attempts: other flushes (of this host
            // or any other) are not touched by its recovery.
            const ids = lost.ids.slice();
            await this.#writer.fence(this.sql, ids);
            lost.fenced = Math.max(lost.fenced, ids.length);
          }
          sent = randomUUID();
          return await this.#writeBatch(batch, current, sent);
        },
        FLUSH_RETRY,
        {
          maxRetryTimeMs: this.#config.outcomeRecoveryMs,
          shouldRetry: (error) => {
            // Unreachable, broken or rolled back: keep trying until maxRetryTimeMs.
            if (isUnreachable(error) || isRolledBack(error)) return true;
            const retryable = isEventIdTaken(error) || isMissingPartition(error);
            return retryable && ++definiteRetries <= MAX_RETRIES;
          },
          onFailedAttempt: ({ error }) => {
            // An attempt that may have committed: every later attempt fences it
            // off and looks for its ids before deciding anything again. (An
            // unknown outcome of the fence statement itself fences nothing new:
            // it is sent again before the next attempt.)
            if (outcomeOf(error) === 'unknown') {
              unknown = true;
              if (sent !== undefined) lost.ids.push(sent);
            }
            if (unknown) current = 'recover';
            else if (isEventIdTaken(error)) current = 'check-ids';
            else if (isMissingPartition(error)) this.#partitions.invalidate(); // archived or dropped under us
          },
        },
      );
    } catch (err) {
      if (isUnreachable(err) || isRolledBack(err)) {
        // The database stayed unreachable, or kept rolling the flush back, for
        // the whole recovery window: a typed, retryable answer for every caller.
        return batch.map((req) => ({
          ok: false,
          error: unknown
            ? new AppendOutcomeUnknownError(
                req.streamId,
                req.events.map((e) => e.id),
                err,
              )
            : new StoreUnavailableError(
                isRolledBack(err)
                  ? 'The database rolled the append back (fenced by a recovery, a serialization failure or a deadlock); nothing was written'
                  : 'The database is unreachable; nothing was written',
                err,
              ),
        }));
      }
      if (batch.length === 1) throw err;
      // Not attributable to the batch as a whole: split it in halves, in order
      // (requests on one stream chain their versions), until only the culprits
      // fail alone — a few flushes for one bad request instead of one per request.
      const mid = Math.ceil(batch.length / 2);
      const outcomes: FlushOutcome<AppendResult>[] = [];
      for (const half of [batch.slice(0, mid), batch.slice(mid)]) {
        try {
          outcomes.push(...(await this.#flush(half, current, lost)));
        } catch (error) {
          outcomes.push({ ok: false, error }); // a single request's own failure
        }
      }
      return outcomes;
    }
  }

  async #writeBatch(
    batch: readonly PreparedAppend[],
    mode: WriteMode,
    attemptId: string,
  ): Promise<FlushOutcome<AppendResult>[]> {
    const hooks = hooksFor(this.#hooks, batch);
    try {
      if (hooks.length === 0) {
        // One statement in its own implicit transaction: one round trip per flush.
        const written = await this.#writer.write(this.sql, batch, { withEvents: false, mode, attemptId });
        // Found while recovering: a lost attempt committed them, and nobody woke the readers.
        if (written.wrote || written.foundWhileRecovering) this.#committed(batch);
        return joinedCommitted(batch, written);
      }
      const afterCommit: (() => void)[] = [];
      // PGlite runs one transaction at a time: flushes are written in the order they fold.
      const locking = this.#oneTransactionAtATime ? [] : hooks.filter((h) => h.lockBeforeWrite);
      const pending = locking.length > 0 ? pendingEvents(locking, batch) : [];
      const written = await this.sql.transaction(async (tx) => {
        // Before the write gives the transaction its id, and so its place in the log.
        for (const hook of locking) await hook.lockBeforeWrite!({ tx, events: pending });
        const result = await this.#writer.write(tx, batch, { withEvents: true, mode, attemptId });
        if (result.events.length > 0) {
          for (const hook of hooks) {
            const callback = await hook.apply({ tx, events: result.events });
            if (callback) afterCommit.push(callback);
          }
        }
        return result;
      });
      if (written.wrote || written.foundWhileRecovering) this.#committed(batch);
      for (const callback of afterCommit) callback();
      // A lost attempt may have committed some of the batch: its callbacks never ran.
      if (written.foundWhileRecovering) for (const hook of hooks) hook.outcomeRecovered?.();
      return joinedCommitted(batch, written);
    } catch (err) {
      throw joinedErrorOf(batch, err) ?? err;
    }
  }

  /** Joined writes only go where their writer's tables are: on this store's client. */
  #joinable(batch: readonly PreparedAppend[]): readonly PreparedAppend[] {
    if (!batch.some((req) => req.joined && !req.joined.writer.isOn(this.sql))) return batch;
    return batch.map((req) => {
      if (!req.joined || req.joined.writer.isOn(this.sql)) return req;
      const { joined: _elsewhere, ...rest } = req;
      return rest;
    });
  }

  /** A flush committed: wake this process's readers. */
  #committed(batch: readonly PreparedAppend[]): void {
    traceStage('append.committed', () => batch.map((r) => r.streamId));
    this.#wakeups.notify();
  }
}
