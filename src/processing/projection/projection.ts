/**
 * A running projection: its read-model table kept up to date inline (in the
 * append transaction) or asynchronously (as a processor), every row change
 * published on an RxJS Observable, and blue/green rebuilds.
 */
import { EventEmitter } from 'eventemitter3';
import { Subject, type Observable } from 'rxjs';
import type { Logger } from '../../core/logger.js';
import type { Row, RowChange } from '../../core/row-change.js';
import type { SqlTransaction } from '../../core/sql-client.js';
import { compareCheckpoints, START_CHECKPOINT, type LogCheckpoint } from '../../core/checkpoint.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import { initialCheckpoint } from '../initial-checkpoint.js';
import { memoryRelayout } from '../partitions/partition-coordination.js';
import {
  createPartitionedProcessor,
  type PartitionedProcessor,
} from '../partitions/partitioned-processor.js';
import { createProcessor, type Processor } from '../processor.js';
import type { HandlerContext, PostCommit, ProcessorOptions, StartFrom } from '../processor-options.js';
import { lockId, rowLocks, takeAdvisoryLocks, type AdvisoryLock } from './advisory-locks.js';
import { keysTouched } from './keys-touched.js';
import { applyProjectionBatch, whenRowsKnown, type LockRows } from './apply-batch.js';
import type { ProjectionDefinition } from './definition.js';
import { partitionCoordinationOf, projectionStorageOf } from '../state/processing-state-of.js';
import { MemoryTable } from './memory-table.js';
import type { MemoryProjectionStorage, ProjectionStorage } from './projection-storage.js';
import type { RebuildProgress, RebuildResult } from './rebuild.js';
import type { TableBackend } from './table-backend.js';
import { projectionLockKey, projectionProcessorName } from './table-names.js';

/**
 * Events of a projection. `error` carries its processor's background failures
 * too — a dead-lettered event arrives as a `ProcessorDeadLetteredError`
 * (`PROCESSOR_DEAD_LETTERED`) — and they are logged whether or not anyone listens.
 *
 * @example
 * ```ts
 * projection.on('error', (err) => { if (isProcessorDeadLetteredError(err)) page(err.eventId); });
 * ```
 */
export interface ProjectionEventMap {
  'projection:rebuild_progress': [progress: RebuildProgress];
  'projection:rebuilt': [result: RebuildResult];
  error: [error: unknown];
}

/**
 * Options of {@link createProjection}.
 *
 * @example
 * ```ts
 * const board = createProjection({
 *   store, definition: taskBoard, logger: pino(),
 *   processor: { batchSize: 200, lease: { ttlMs: 10_000 }, startFrom: 'beginning' },
 * });
 * ```
 */
export interface CreateProjectionOptions<R extends Row = Row> {
  store: EventStore;
  definition: ProjectionDefinition<R>;
  /** Processor settings of an async projection (batch size, lease, retries, start); each partition's too. */
  processor?: Omit<
    ProcessorOptions,
    'store' | 'name' | 'handle' | 'handleBatch' | 'eventTypes' | 'requireCheckpoint' | 'logger'
  >;
  /**
   * Where its processor logs dead letters and background errors (at `error`).
   * Default: one line on stderr; `silentLogger` only when you watch `'error'` yourself.
   */
  logger?: Logger;
}

/**
 * Options of {@link Projection.rebuild}.
 *
 * @example
 * ```ts
 * await board.rebuild({ batchSize: 2_000, progressIntervalMs: 1_000, signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface ProjectionRebuildOptions {
  batchSize?: number;
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Run a projection on a store.
 *
 * @example
 * ```ts
 * const totals = createProjection({ store, definition: orderTotals });
 * totals.changes.subscribe((change) => console.log(change.operation, change.key));
 * await totals.start();
 * await totals.whenCaughtUp();
 * console.log(await totals.rows());
 * ```
 */
export function createProjection<R extends Row = Row>(options: CreateProjectionOptions<R>): Projection<R> {
  return new Projection(options);
}

/** See {@link createProjection}. */
export class Projection<R extends Row = Row> extends EventEmitter<ProjectionEventMap> {
  readonly definition: ProjectionDefinition<R>;
  /** Every row change, after the transaction that made it committed. */
  readonly changes: Observable<RowChange>;
  /**
   * The projection's table, each time `changes` missed a committed
   * transaction's row changes: its answer was lost (a client timeout, a
   * dropped connection) and it turned out committed — inline, an append the
   * store's recovery found stored; async, a batch whose checkpoint was found
   * stored. Consumers of `changes` reload the table's rows (the engine
   * reloads the realtime channels it feeds).
   *
   * @example
   * ```ts
   * projection.changesLost.subscribe(([table]) => hub.invalidate(table!));
   * ```
   */
  readonly changesLost: Observable<readonly string[]>;
  /**
   * The processor of an unpartitioned async projection (lag, lifecycle events,
   * dead letters). Start it through `start()`, which records its layout and
   * checkpoint first.
   */
  readonly processor: Processor | undefined;
  /** The partitioned processor of an async projection with `partitions` > 1. */
  readonly partitioned: PartitionedProcessor | undefined;
  readonly #store: EventStore;
  /** The definition without its row type (handlers are invariant in it). */
  readonly #def: ProjectionDefinition;
  readonly #subject = new Subject<RowChange>();
  readonly #lost = new Subject<readonly string[]>();
  /** Where the rows live: a SQL table, or a map of this projection's own. */
  readonly #storage: ProjectionStorage;
  /** In memory, the checkpoint the table has applied up to (inline hook and rebuild share it). */
  #memoryThrough: LogCheckpoint = START_CHECKPOINT;
  #removeHook: (() => void) | undefined;
  /** In memory, during an inline rebuild: events the hook applied to the old map. */
  #rebuildBuffer: StoredEvent[] | undefined;
  #migrated = false;
  readonly #startFrom: StartFrom;

  constructor(options: CreateProjectionOptions<R>) {
    super();
    this.definition = options.definition;
    this.#def = options.definition as unknown as ProjectionDefinition;
    this.#store = options.store;
    this.#startFrom = options.processor?.startFrom ?? 'beginning';
    this.changes = this.#subject.asObservable();
    this.changesLost = this.#lost.asObservable();
    this.#storage = projectionStorageOf(this.#store, this.#def);
    const shared = {
      ...options.processor,
      store: this.#store,
      name: projectionProcessorName(this.#def),
      eventTypes: this.definition.eventTypes,
      ...(options.logger ? { logger: options.logger } : {}),
      handleBatch: (events: readonly StoredEvent[], { tx }: HandlerContext) => this.#apply(events, tx),
    };
    const { mode, partitions, partitionKey } = this.definition;
    this.partitioned =
      mode === 'async' && partitions > 1
        ? createPartitionedProcessor({ ...shared, partitions, partitionKey })
        : undefined;
    // Like a partition, it never creates its own checkpoint: a rebuild that partitions
    // the projection deletes it, and this processor must then stop, not start over.
    this.processor =
      mode === 'async' && partitions === 1
        ? createProcessor({ ...shared, requireCheckpoint: true })
        : undefined;
    // The processor logged it already; the projection's listeners hear it too.
    const forward = (err: unknown) => void this.emit('error', err);
    this.processor?.on('error', forward);
    this.partitioned?.on('error', forward);
    // A batch committed whose answer was lost: its changes were never published.
    const lost = () => this.#changesWereLost();
    this.processor?.on('processor:commit_recovered', lost);
    this.partitioned?.on('processor:commit_recovered', lost);
  }

  /** A committed transaction's changes were never published: `changesLost` says so. */
  #changesWereLost(): void {
    this.#lost.next([this.#def.table]);
  }

  /** The projection's name. */
  get name(): string {
    return this.definition.name;
  }

  /** Create the processing tables and apply the projection's table migrations. */
  async migrate(): Promise<void> {
    if (this.#migrated) return;
    await this.#storage.migrate();
    this.#migrated = true;
  }

  /**
   * Migrate, then start the processor (async; its layout is recorded or checked
   * first, throwing a `ProcessorLayoutError` when another partition count is
   * recorded) or register the inline hook (inline).
   */
  async start(): Promise<void> {
    await this.migrate();
    if (this.partitioned) return this.partitioned.start();
    if (this.processor) {
      await partitionCoordinationOf(this.#store).claimLayout(
        this.processor.name,
        1,
        await initialCheckpoint(this.#store, this.#startFrom),
      );
      return this.processor.start();
    }
    if (this.#removeHook) return;
    const lockKey = projectionLockKey(this.#store.schema, this.#def);
    // Concurrent group-commit flushes that read one row and write it back would
    // overwrite each other's updates: each locks the rows it touches, held to
    // COMMIT, and flushes on other rows go on meanwhile. The projection's lock is
    // shared by applies and exclusive for a rebuild's swap, and for a batch
    // reaching rows by scope (rows it did not lock could be written under it).
    const locksOf = (keys: readonly Row[] | null, merged: readonly Row[] = []): AdvisoryLock[] =>
      keys === null
        ? [{ name: lockKey, mode: 'exclusive' }]
        : [{ name: lockKey, mode: 'shared' }, ...rowLocks(lockKey, this.#def.key, keys, merged)];
    const lockedBeforeWrite = new WeakMap<SqlTransaction, ReadonlySet<string>>();
    this.#removeHook = this.#store.addInlineHook({
      name: projectionProcessorName(this.#def),
      // A batch with none of them changes no row: no transaction, no lock.
      eventTypes: new Set(this.#def.eventTypes),
      // Taken before the write gives the transaction its place in the log, so
      // flushes on one row fold in log order, as a rebuild does. One statement.
      lockBeforeWrite: ({ tx, events }) => {
        // Its table is a SqlTable: merge handlers' rows are merged in the database.
        const touched = keysTouched(this.#def, events, true);
        if (touched && touched.keys.length === 0 && touched.merged.length === 0) return Promise.resolve();
        const locks = touched ? locksOf(touched.keys, touched.merged) : locksOf(null);
        lockedBeforeWrite.set(tx, new Set(locks.map(lockId)));
        return takeAdvisoryLocks(tx, locks);
      },
      apply: ({ tx, events }) => {
        if (!tx) return this.#apply(events, undefined);
        const held = lockedBeforeWrite.get(tx);
        return this.#apply(events, tx, (keys, scoped, merged) => {
          const locks = locksOf(scoped ? null : keys, merged);
          return takeAdvisoryLocks(tx, held ? locks.filter((l) => !held.has(lockId(l))) : locks);
        });
      },
      outcomeRecovered: () => this.#changesWereLost(),
    });
  }

  /** Stop the processor or remove the inline hook. */
  async stop(): Promise<void> {
    this.#removeHook?.();
    this.#removeHook = undefined;
    await this.processor?.stop();
    await this.partitioned?.stop();
  }

  /**
   * Resolve when everything in the log now is in the read model (immediate for inline projections).
   *
   * @example
   * ```ts
   * await projection.whenCaughtUp({ timeoutMs: 5000 });
   * ```
   */
  async whenCaughtUp(options: { timeoutMs?: number; to?: LogCheckpoint } = {}): Promise<void> {
    if (this.processor) await this.processor.whenCaughtUp(options);
    if (this.partitioned) await this.partitioned.whenCaughtUp(options);
  }

  /** Every row of the read model, sorted by key (for tests, snapshots and small tables). */
  async rows(): Promise<R[]> {
    return (await this.#table().all()) as R[];
  }

  /** One row by key, or null. */
  async find(key: Partial<R>): Promise<R | null> {
    const found = await this.#table().load([key as Row]);
    return ([...found.values()][0] as R | undefined) ?? null;
  }

  /**
   * Rebuild the table from the start of the log (blue/green) and swap it in;
   * progress arrives as `'projection:rebuild_progress'` events.
   *
   * @example
   * ```ts
   * projection.on('projection:rebuild_progress', (p) => console.log(p.done, '/', p.total));
   * await projection.rebuild();
   * ```
   */
  async rebuild(options: ProjectionRebuildOptions = {}): Promise<RebuildResult> {
    await this.migrate();
    const storage = this.#storage;
    const result =
      storage.kind === 'sql'
        ? await storage.rebuild({
            ...options,
            store: this.#store,
            definition: this.#def,
            onProgress: (p) => this.emit('projection:rebuild_progress', p),
          })
        : await this.#rebuildInMemory(storage, options);
    this.emit('projection:rebuilt', result);
    return result;
  }

  async #apply(
    events: readonly StoredEvent[],
    tx: SqlTransaction | undefined,
    lockRows?: LockRows,
  ): Promise<PostCommit | undefined> {
    let relevant = events;
    if (this.#storage.kind === 'memory' && this.definition.mode === 'inline') {
      // Inline in memory: the hook and a rebuild's catch-up may both see an event; apply it once.
      const through = this.#memoryThrough;
      relevant = events.filter((e) => compareCheckpoints(e.checkpoint, through) > 0);
      if (relevant.length === 0) return undefined;
      this.#memoryThrough = relevant.at(-1)!.checkpoint;
      this.#rebuildBuffer?.push(...relevant);
    }
    const changes = await applyProjectionBatch(this.#def, this.#storage.table(tx), relevant, lockRows);
    if (changes.length === 0) return undefined;
    return () => {
      whenRowsKnown(changes, () => {
        for (const change of changes) this.#subject.next(change);
      });
    };
  }

  #table(): TableBackend {
    return this.#storage.table();
  }

  /** In memory: replay into a fresh map, swap it in, and let the hook or processor continue after it. */
  async #rebuildInMemory(
    storage: MemoryProjectionStorage,
    options: ProjectionRebuildOptions,
  ): Promise<RebuildResult> {
    const started = performance.now();
    const batchSize = options.batchSize ?? 5000;
    const runner = this.processor ?? this.partitioned;
    const wasRunning = runner?.running ?? false;
    await runner?.stop();
    if (!runner) this.#rebuildBuffer = [];
    const fresh = new MemoryTable(this.definition.key);
    let checkpoint = START_CHECKPOINT;
    let done = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      const page = await this.#store.readAll({ after: checkpoint, limit: batchSize });
      if (page.events.length === 0) break;
      await applyProjectionBatch(this.#def, fresh, page.events);
      done += page.events.length;
      checkpoint = page.checkpoint;
      const rate = done / Math.max(1e-3, (performance.now() - started) / 1000);
      this.emit('projection:rebuild_progress', {
        projection: this.name,
        phase: 'replaying',
        done,
        total: done,
        ratePerSecond: rate,
        etaMs: null,
        checkpoint,
      });
    }
    if (runner) {
      storage.replace(fresh);
      memoryRelayout(this.#store, runner.name, this.definition.partitions, checkpoint);
      await this.processor?.seek(checkpoint); // so its `checkpoint` shows the rebuilt one while stopped
      if (wasRunning) await this.start();
    } else {
      // The inline hook sees every append before it reaches the log; what it applied to the
      // old map during the replay is buffered and folded into the fresh map, then the swap
      // happens in the same synchronous step as the last "nothing left" check.
      const buffered = this.#rebuildBuffer ?? [];
      for (;;) {
        const through = checkpoint;
        const pending = buffered.filter((e) => compareCheckpoints(e.checkpoint, through) > 0);
        if (pending.length === 0) break;
        await applyProjectionBatch(this.#def, fresh, pending);
        done += pending.length;
        checkpoint = pending.at(-1)!.checkpoint;
      }
      storage.replace(fresh);
      this.#memoryThrough = checkpoint;
      this.#rebuildBuffer = undefined;
    }
    const result: RebuildResult = {
      projection: this.name,
      events: done,
      durationMs: performance.now() - started,
      generation: 0,
      checkpoint,
    };
    this.emit('projection:rebuild_progress', {
      projection: this.name,
      phase: 'done',
      done,
      total: done,
      ratePerSecond: done / Math.max(1e-3, result.durationMs / 1000),
      etaMs: 0,
      checkpoint: result.checkpoint,
    });
    return result;
  }
}
