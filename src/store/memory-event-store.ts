/**
 * The in-memory event store: the same contract as the PostgreSQL store, for
 * tests and hosts that need no persistence.
 */
import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import type { ZodType } from 'zod';
import {
  ConcurrencyError,
  DuplicateEventIdError,
  IdempotencyKeyReusedError,
  InvalidArgumentError,
  StoreClosedError,
} from '../core/errors.js';
import {
  compareCheckpoints,
  parseCheckpoint,
  START_CHECKPOINT,
  type LogCheckpoint,
} from '../core/checkpoint.js';
import type { EventTypeRegistry } from './event-registry.js';
import { satisfiesExpectedVersion } from './expected-version.js';
import { hooksFor } from './inline-hooks.js';
import { followLog } from './live-subscription.js';
import { prepareAppend, storedEventOf, type PreparedAppend } from './prepare-append.js';
import { assertReadAllLimit, assertReadStreamArgs } from './read-args.js';
import { appendManyWith } from './append-many.js';
import { defaultArchiveCutoff, monthKey, monthStart } from './postgres/partitions.js';
import type { ResolvedStoreConfig } from './store-config.js';
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
} from './types.js';
import { Wakeups } from './wakeups.js';

/** One request's outcome in a transaction. */
type AppendOutcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };

interface StreamState {
  version: number;
  events: StoredEvent[];
}

/** The in-memory implementation of {@link EventStore}; `createEventStore()` without `sql`. */
export class MemoryEventStore implements EventStore {
  readonly sql = undefined;
  readonly schema: string;
  readonly wakeups: Observable<void>;
  readonly #config: ResolvedStoreConfig;
  readonly #registry: EventTypeRegistry;
  readonly #now: () => Date;
  readonly #streams = new Map<string, StreamState>();
  readonly #keys = new Map<string, AppendResult>();
  /** Every stored event by id (archived ones too): an id is stored at most once. */
  readonly #eventIds = new Map<string, StoredEvent>();
  readonly #hooks = new Set<InlineHook>();
  readonly #identity = `memory.${randomUUID()}`;
  readonly #wakeups = new Wakeups(undefined, 'memory');
  #log: StoredEvent[] = [];
  readonly #archived = new Map<string, StoredEvent[]>();
  #position = 0;
  #transaction = 0n;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(config: ResolvedStoreConfig, registry: EventTypeRegistry, now: () => Date) {
    this.schema = config.schema;
    this.#config = config;
    this.#registry = registry;
    this.#now = now;
    this.wakeups = this.#wakeups.signals;
  }

  async migrate(): Promise<void> {
    this.#assertOpen();
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    try {
      this.#assertOpen();
      const req = prepareAppend(streamId, events, options, this.#registry, this.#config, this.#now);
      return this.#queue(() => this.#write([req])).then(([outcome]) => {
        if (outcome!.ok) return outcome!.value;
        throw outcome!.error;
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async appendMany(requests: readonly AppendRequest[]): Promise<PromiseSettledResult<AppendResult>[]> {
    this.#assertOpen();
    // The checked requests are one transaction (apart only when it fails as a whole).
    return appendManyWith(
      requests,
      (r) => prepareAppend(r.streamId, r.events, r.options, this.#registry, this.#config, this.#now),
      (prepared) => this.#queue(() => this.#writeApartOnFailure(prepared)),
    );
  }

  /** Appends run one at a time, like transactions on one row lock. */
  #queue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** One transaction for the requests; when it fails as a whole (a hook threw), each apart. */
  async #writeApartOnFailure(reqs: readonly PreparedAppend[]): Promise<AppendOutcome[]> {
    try {
      return await this.#write(reqs);
    } catch (error) {
      if (reqs.length === 1) return [{ ok: false, error }];
      const outcomes: AppendOutcome[] = [];
      for (const req of reqs) outcomes.push(...(await this.#writeApartOnFailure([req])));
      return outcomes;
    }
  }

  /**
   * Decide each request in order (requests on one stream chain their versions),
   * run the hooks on everything written, then commit it all. Throws only when a
   * hook does, leaving no trace.
   */
  async #write(reqs: readonly PreparedAppend[]): Promise<AppendOutcome[]> {
    const transactionId = ++this.#transaction;
    const processedAt = this.#now();
    // What this transaction wrote so far, over the committed state.
    const versions = new Map<string, number>();
    const keys = new Map<string, AppendResult>();
    const ids = new Map<string, StoredEvent>();
    const written: StoredEvent[] = [];
    const writers: PreparedAppend[] = [];
    const outcomes = reqs.map((req): AppendOutcome => {
      try {
        const key = req.idempotencyKey;
        const earlier = key === undefined ? undefined : (keys.get(key) ?? this.#keys.get(key));
        if (earlier) {
          if (earlier.streamId !== req.streamId)
            throw new IdempotencyKeyReusedError(key!, req.streamId, earlier.streamId);
          return { ok: true, value: { ...earlier, duplicate: true } };
        }
        const stored = this.#storedAlready(req, (id) => ids.get(id) ?? this.#eventIds.get(id));
        if (stored) return { ok: true, value: stored };
        const current = versions.get(req.streamId) ?? this.#streams.get(req.streamId)?.version ?? 0;
        if (!satisfiesExpectedVersion(req.expectedVersion, current)) {
          throw new ConcurrencyError(req.streamId, req.expectedVersion, current);
        }
        const events = req.events.map((e, i) =>
          storedEventOf(req, e, {
            version: current + i + 1,
            globalPosition: this.#position + written.length + i + 1,
            transactionId,
            processedAt,
          }),
        );
        written.push(...events);
        writers.push(req);
        versions.set(req.streamId, current + events.length);
        for (const event of events) ids.set(event.id, event);
        const result: AppendResult = {
          streamId: req.streamId,
          nextVersion: current + events.length,
          positions: events.map((e) => e.globalPosition),
          checkpoint: events.at(-1)!.checkpoint,
          duplicate: false,
        };
        if (key !== undefined) keys.set(key, result);
        return { ok: true, value: result };
      } catch (error) {
        return { ok: false, error };
      }
    });
    if (written.length === 0) return outcomes;
    const afterCommit: (() => void)[] = [];
    for (const hook of hooksFor(this.#hooks, writers)) {
      const callback = await hook.apply({ events: written });
      if (callback) afterCommit.push(callback);
    }
    // Commit: nothing above changed state, so a failing hook leaves no trace.
    this.#position += written.length;
    for (const event of written) {
      const stream = this.#streams.get(event.aggregateId) ?? { version: 0, events: [] };
      stream.version = event.version;
      stream.events.push(event);
      this.#streams.set(event.aggregateId, stream);
      this.#eventIds.set(event.id, event);
    }
    this.#log.push(...written);
    for (const [key, result] of keys) this.#keys.set(key, result);
    this.#wakeups.notify();
    for (const callback of afterCommit) callback();
    return outcomes;
  }

  /**
   * An append whose event ids are stored already (`find`: by this transaction
   * or committed): the same events in the same stream are that earlier append
   * (its result again); anything else is refused.
   */
  #storedAlready(
    req: PreparedAppend,
    find: (id: string) => StoredEvent | undefined,
  ): AppendResult | undefined {
    const found = req.events.map((e) => find(e.id));
    const first = found.find((e) => e !== undefined);
    if (!first) return undefined;
    const same = found.every(
      (e, i) => e !== undefined && e.aggregateId === req.streamId && e.version === found[0]!.version + i,
    );
    if (!same) {
      const elsewhere = found.find((e) => e !== undefined && e.aggregateId !== req.streamId) ?? first;
      throw new DuplicateEventIdError(req.streamId, elsewhere.aggregateId);
    }
    const last = found.at(-1)!;
    return {
      streamId: req.streamId,
      nextVersion: last.version,
      positions: found.map((e) => e!.globalPosition),
      checkpoint: last.checkpoint,
      duplicate: true,
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    this.#assertOpen();
    // The same refusals as the SQL stores'.
    assertReadStreamArgs(streamId, options);
    const stream = this.#streams.get(streamId);
    if (!stream) return { version: 0, events: [] };
    const from = options.fromVersion ?? 1;
    const live = stream.events.filter((e) => e.version >= from && this.#isLive(e));
    return { version: stream.version, events: live.slice(0, options.maxCount ?? live.length) };
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    this.#assertOpen();
    assertReadAllLimit(options.limit);
    const after = options.after ?? START_CHECKPOINT;
    const { globalPosition } = parseCheckpoint(after);
    const limit = options.limit ?? 1000;
    // Positions grow with commit order here, so a binary search finds the start.
    let lo = 0;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#log[mid]!.globalPosition <= globalPosition) lo = mid + 1;
      else hi = mid;
    }
    const events = this.#log.slice(lo, lo + limit);
    return { events, checkpoint: events.at(-1)?.checkpoint ?? after };
  }

  subscribe(options: SubscribeOptions = {}): Observable<StoredEvent> {
    return followLog(this, options, 0);
  }

  async headCheckpoint(): Promise<LogCheckpoint> {
    return this.#log.at(-1)?.checkpoint ?? START_CHECKPOINT;
  }

  /** A log in memory lives and dies with this store: its identity is made with it. */
  async logIdentity(): Promise<string> {
    return this.#identity;
  }

  /** Appends commit one at a time here: the newest committed event is the log's last. */
  async committedCheckpoint(): Promise<LogCheckpoint> {
    return this.headCheckpoint();
  }

  async readerLag(): Promise<ReaderLag> {
    return { heldBackEvents: 0, oldestOpenTransactionMs: null };
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
    const cutoff = (options.olderThan ?? defaultArchiveCutoff(this.#now())).getTime();
    const due = new Set(
      this.#log.map((e) => monthKey(e.occurredAt)).filter((m) => monthStart(m, 1).getTime() <= cutoff),
    );
    for (const month of due) {
      const moved = this.#log.filter((e) => monthKey(e.occurredAt) === month);
      this.#archived.set(month, [...(this.#archived.get(month) ?? []), ...moved]);
    }
    this.#log = this.#log.filter((e) => !due.has(monthKey(e.occurredAt)));
    return [...due].sort();
  }

  async restoreArchived(month: string): Promise<void> {
    this.#assertOpen();
    const events = this.#archived.get(month);
    if (!events) throw new InvalidArgumentError(`month ${month} is not archived`);
    this.#archived.delete(month);
    this.#log = [...this.#log, ...events].sort((a, b) => compareCheckpoints(a.checkpoint, b.checkpoint));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.#wakeups.close();
  }

  #isLive(event: StoredEvent): boolean {
    return !this.#archived.has(monthKey(event.occurredAt));
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }
}
