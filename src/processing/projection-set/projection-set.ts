/**
 * A set of projections updated together, in one transaction per batch, where
 * later tables may fold the row changes of earlier ones.
 *
 * Why not one `createProjection` per table: a projection handler sees one row
 * and one event, but a table of order statistics may need each order's
 * receive time when it ships, and a table of alerts a product's stock level.
 * Here a table can subscribe to `row:<earlier table>` pseudo-events (the
 * earlier table's {@link RowChange}, carrying both the old and the new row),
 * so every definition stays a plain, pure {@link ProjectionDefinition} folded
 * by `applyProjectionBatch`. The rows of one tenant (see {@link TenantOf})
 * are changed by one transaction at a time.
 */
import { EventEmitter } from 'eventemitter3';
import { Subject, filter, type Observable } from 'rxjs';
import { compareCheckpoints, START_CHECKPOINT, type LogCheckpoint } from '../../core/checkpoint.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row, RowChange } from '../../core/row-change.js';
import type { QueryOptions, SqlQueryable, SqlTransaction } from '../../core/sql-client.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import { createProcessor, type Processor } from '../processor.js';
import { lockId, takeAdvisoryLocks, type AdvisoryLock } from '../projection/advisory-locks.js';
import { whenRowsKnown, type LockRows } from '../projection/apply-batch.js';
import { keysTouched } from '../projection/keys-touched.js';
import type { ProjectionDefinition } from '../projection/definition.js';
import { withoutMerge, type TableBackend } from '../projection/table-backend.js';
import { projectionSetStorageOf } from '../state/processing-state-of.js';
import { foldSet, independentRuns } from './fold-set.js';
import { RowsReadBeforeWrite } from './rows-read-before-write.js';
import type {
  ProjectionSetEventMap,
  ProjectionSetGuard,
  ProjectionSetMode,
  ProjectionSetOptions,
  TenantOf,
} from './projection-set-options.js';
import {
  definitionOf,
  type ProjectionSetStorage,
  type MemoryProjectionSetStorage,
  type SqlProjectionSetStorage,
} from './projection-set-storage.js';
import type { RowQuery } from './row-query.js';

/** Every event in one tenant: one lock for all batches. */
const ONE_TENANT: TenantOf = () => '*';

/**
 * Run several projections as one set on a store.
 *
 * @example
 * ```ts
 * const shop = createProjectionSet({
 *   store, name: 'shop', definitions: [orders, orderStats],
 *   tenantOf: (e) => String((e.data as { shopId: string }).shopId),
 * });
 * shop.changesOf('order_stats').subscribe((c) => console.log(c.operation, c.newRow));
 * await shop.start();
 * ```
 */
export function createProjectionSet(options: ProjectionSetOptions): ProjectionSet {
  return new ProjectionSet(options);
}

/** See {@link createProjectionSet}. */
export class ProjectionSet extends EventEmitter<ProjectionSetEventMap> {
  /** Every row change of every table, after its transaction committed. */
  readonly changes: Observable<RowChange>;
  /**
   * The set's tables, each time `changes` missed a committed transaction's
   * row changes (see `Projection.changesLost`): consumers reload their rows.
   *
   * @example
   * ```ts
   * set.changesLost.subscribe((tables) => tables.forEach((t) => hub.invalidate(t)));
   * ```
   */
  readonly changesLost: Observable<readonly string[]>;
  readonly definitions: readonly ProjectionDefinition[];
  readonly mode: ProjectionSetMode;
  /** The processor in async mode. */
  readonly processor: Processor | undefined;
  readonly #store: EventStore;
  readonly #name: string;
  readonly #tenantOf: TenantOf;
  readonly #subject = new Subject<RowChange>();
  readonly #lost = new Subject<readonly string[]>();
  readonly #storage: ProjectionSetStorage;
  readonly #rawTypes: ReadonlySet<string>;
  readonly #guards: readonly ProjectionSetGuard[];
  /** A table reaches rows by scope on an earlier table's row changes: every inline batch locks the set exclusively. */
  readonly #scopesRows: boolean;
  /** A table folds an earlier table's row changes: its rows are known only once the batch is folded. */
  readonly #foldsRows: boolean;
  /** The tables whose row changes another table folds. */
  readonly #foldedByOthers: ReadonlySet<string>;
  /** Tables whose merge handlers fold in JavaScript inline (a guard judges their rows before COMMIT). */
  readonly #guardedTables: ReadonlySet<string>;
  /** The locks each inline transaction took before its write (the fold does not take them again). */
  readonly #lockedBeforeWrite = new WeakMap<SqlTransaction, ReadonlySet<string>>();
  /** The rows each inline transaction's dry fold read before its write (served to the fold after it). */
  readonly #readBeforeWrite = new WeakMap<SqlTransaction, RowsReadBeforeWrite>();
  /** Async mode with guards: the inline guard copies of the guarded tables. */
  readonly #guardCopies: ProjectionSet | undefined;
  /** In memory, the checkpoint the inline tables have applied up to. */
  #memoryThrough: LogCheckpoint = START_CHECKPOINT;
  /** In memory, while a rebuild folds the log's rest and swaps: appends' hooks wait for it. */
  #memoryHold: Promise<void> | undefined;
  #removeHook: (() => void) | undefined;
  #migrated = false;

  constructor(options: ProjectionSetOptions) {
    super();
    this.#store = options.store;
    this.#name = options.name;
    this.#tenantOf = options.tenantOf ?? ONE_TENANT;
    this.definitions = options.definitions;
    this.mode = options.mode ?? 'inline';
    this.changes = this.#subject.asObservable();
    this.changesLost = this.#lost.asObservable();
    const tables = new Set<string>();
    const raw = new Set<string>();
    for (const def of options.definitions) {
      for (const type of def.eventTypes) {
        if (!type.startsWith('row:')) raw.add(type);
        else if (!tables.has(type.slice(4))) {
          throw new InvalidArgumentError(
            `projection "${def.name}" folds ${type}, which is not defined before it`,
          );
        }
      }
      tables.add(def.table);
    }
    this.#rawTypes = raw;
    this.#foldsRows = independentRuns(options.definitions).length > 1;
    this.#foldedByOthers = new Set(
      options.definitions.flatMap((def) =>
        def.eventTypes.filter((t) => t.startsWith('row:')).map((t) => t.slice(4)),
      ),
    );
    for (const def of options.definitions) {
      if (this.#foldedByOthers.has(def.table) && Object.values(def.handlers).some((h) => h.merge)) {
        // A merged row is known only once the database has merged it, after the fold.
        throw new InvalidArgumentError(
          `projection "${def.name}" has merge handlers, and a later table folds the rows of ${def.table}`,
        );
      }
    }
    this.#guardedTables = new Set(
      (options.guards?.length ?? 0) === 0
        ? []
        : (options.guardTables ?? options.definitions.map((d) => d.table)),
    );
    this.#scopesRows = options.definitions.some((def) =>
      Object.entries(def.handlers).some(([type, handler]) => type.startsWith('row:') && handler.scope),
    );
    this.#guards = options.guards ?? [];
    this.#guardCopies =
      this.mode === 'async' && this.#guards.length > 0 ? this.#inlineGuardCopies(options) : undefined;
    this.#storage = projectionSetStorageOf(this.#store, options.name, options.definitions);
    this.processor =
      this.mode === 'async'
        ? createProcessor({
            store: this.#store,
            name: options.name,
            eventTypes: [...raw],
            batchSize: options.batchSize ?? 500,
            pollIntervalMs: options.pollIntervalMs ?? 1000,
            coalesceMs: options.coalesceMs ?? 0,
            handleBatch: (events, { tx }) => this.#apply(events, tx),
          })
        : undefined;
    this.processor?.on('error', (err: unknown) => this.emit('error', err));
    // A batch committed whose answer was lost: its changes were never published.
    this.processor?.on('processor:commit_recovered', () => this.#changesWereLost());
  }

  /** A committed transaction's changes were never published: `changesLost` says so. */
  #changesWereLost(): void {
    this.#lost.next(this.definitions.map((d) => d.table));
  }

  /** The set's name (its processor's or inline hook's). */
  get name(): string {
    return this.#name;
  }

  /** Row changes of one table (a realtime channel). */
  changesOf(table: string): Observable<RowChange> {
    return this.changes.pipe(filter((c) => c.table === table));
  }

  /** Create the tables (and, in async mode, the processing tables and guard copies). */
  async migrate(): Promise<void> {
    await this.#guardCopies?.migrate();
    if (this.#migrated) return;
    await this.#storage.migrate();
    this.#migrated = true;
  }

  /** Migrate, then register the inline hook or start the processor. */
  async start(): Promise<void> {
    await this.migrate();
    await this.#guardCopies?.start();
    if (this.processor) return this.processor.start();
    if (this.#removeHook) return;
    const storage = this.#storage;
    this.#removeHook = this.#store.addInlineHook({
      name: this.#name,
      // A batch with none of them changes no table: no transaction, no lock.
      eventTypes: this.#rawTypes,
      apply: ({ tx, events }) =>
        storage.kind === 'memory' || !tx ? this.#applyStaged(events) : this.#applyInline(events, tx),
      lockBeforeWrite: ({ tx, events }) => this.#lockBeforeWrite(events, tx),
      outcomeRecovered: () => this.#changesWereLost(),
    });
  }

  async stop(): Promise<void> {
    this.#removeHook?.();
    this.#removeHook = undefined;
    await this.processor?.stop();
    await this.#guardCopies?.stop();
  }

  /**
   * Rebuild every table from the start of the log (e.g. after a definition
   * changed). Inline on SQL, blue/green in one transaction: the log is
   * replayed into tables of the next generation while appends go on and
   * readers see the live tables; then, holding appends' hooks back only for
   * that, the events committed meanwhile are folded in and the new tables
   * swapped into the live ones' place. The generation is recorded with each
   * table (as a projection's rebuild does), so every host's engine reloads the
   * channels the tables feed. Rebuilds of one set take turns; one that fails
   * leaves nothing behind. On PGlite (one connection) appends wait for the
   * whole rebuild. Async on SQL the same, except that the processor goes on
   * folding into the live tables during the replay and is moved to where the
   * new tables are at the swap. In memory too, with maps of the next
   * generation swapped in while appends' hooks wait (inline) or the
   * processor is stopped (async). Returns the number of events replayed.
   *
   * @example
   * ```ts
   * await shop.rebuild({ batchSize: 2_000 });
   * ```
   */
  async rebuild(options: { batchSize?: number } = {}): Promise<number> {
    await this.migrate();
    const batch = options.batchSize ?? 5000;
    const storage = this.#storage;
    if (this.processor && storage.kind === 'sql') {
      await this.#guardCopies?.rebuild(options);
      return this.#rebuildAsync(storage, this.processor, batch);
    }
    if (storage.kind === 'memory') {
      await this.#guardCopies?.rebuild(options);
      return this.#rebuildInMemory(storage, batch);
    }
    return storage.transaction(async (tx) => {
      const generation = await storage.createGeneration(tx);
      const into = (t: string) => storage.generationTable(generation, t, tx);
      // Read on the pool, whose reader horizon keeps the pages gapless while appends commit.
      const replay = await this.#replay(batch, storage.concurrent ? undefined : tx, into);
      // Appends that would add events now wait on the exclusive lock: what committed
      // before it is read through this transaction, and nothing can commit behind it.
      await storage.lockExclusive(tx);
      const rest = await this.#replay(batch, tx, into, replay.through);
      await storage.swapGeneration(tx, generation, rest.through);
      return replay.replayed + rest.replayed;
    });
  }

  /**
   * In memory, blue/green too: the log replayed into the next generation's
   * maps while readers see the live ones and appends (or the processor) go on
   * folding into them; then, with appends' hooks held at their start (inline)
   * or the processor stopped (async), the rest of the log folded in and the
   * maps swapped in, and the processor moved to where they are. Appends are
   * one at a time in memory, so a batch whose fold began before the hold
   * commits after it onto rows equal to the new ones.
   */
  async #rebuildInMemory(storage: MemoryProjectionSetStorage, batch: number): Promise<number> {
    const next = storage.nextGeneration();
    const into = (t: string) => next.table(t);
    const replay = await this.#replay(batch, undefined, into);
    const processor = this.processor;
    const wasRunning = processor?.running ?? false;
    let release!: () => void;
    this.#memoryHold = new Promise<void>((resolve) => (release = resolve));
    try {
      await processor?.stop();
      let { through, replayed } = replay;
      for (;;) {
        const rest = await this.#replay(batch, undefined, into, through);
        through = rest.through;
        replayed += rest.replayed;
        // A batch whose fold began before the hold may have committed meanwhile: fold it
        // in too. Checked and swapped with no await between, so none lands in between.
        if (compareCheckpoints(this.#memoryThrough, through) <= 0) break;
      }
      next.swapIn();
      this.#memoryThrough = through;
      await processor?.seek(through);
      return replayed;
    } finally {
      this.#memoryHold = undefined;
      release();
      if (processor && wasRunning) await processor.start();
    }
  }

  /**
   * Async on SQL, blue/green as inline: the log replayed into the next
   * generation's tables while the processor goes on folding into the live
   * ones; then, in the same transaction, the processor's checkpoint row is
   * locked (its batch in flight commits first), the new tables caught up to
   * where it is when it is ahead of the replay, swapped in, and the processor
   * moved to where they are — its next batch finds its checkpoint moved,
   * reloads it and folds on into the new tables. Nothing is folded twice or
   * skipped; readers see the live tables throughout.
   */
  async #rebuildAsync(
    storage: SqlProjectionSetStorage,
    processor: Processor,
    batch: number,
  ): Promise<number> {
    return storage.transaction(async (tx) => {
      const generation = await storage.createGeneration(tx);
      const into = (t: string) => storage.generationTable(generation, t, tx);
      const replay = await this.#replay(batch, storage.concurrent ? undefined : tx, into);
      const at = await storage.lockProcessor(tx, processor.name);
      // Every event up to a processor's checkpoint has committed (it read them): read in tx.
      const ahead = at !== null && compareCheckpoints(at, replay.through) > 0;
      const rest = ahead ? await this.#replay(batch, tx, into, replay.through, at) : { replayed: 0 };
      const through = ahead ? at : replay.through;
      await storage.moveProcessor(tx, processor.name, through);
      await storage.swapGeneration(tx, generation, through);
      return replay.replayed + rest.replayed;
    });
  }

  /**
   * Fold the log after `after` (up to `upTo`, when given) into the tables
   * `into` gives (default: the live ones), reading through `tx` when given.
   */
  async #replay(
    batch: number,
    tx: SqlTransaction | undefined,
    into: (table: string) => TableBackend = (t) => this.table(t, tx),
    after: LogCheckpoint = START_CHECKPOINT,
    upTo?: LogCheckpoint,
  ): Promise<{ replayed: number; through: LogCheckpoint }> {
    let replayed = 0;
    let through = after;
    for (;;) {
      const page = await this.#store.readAll({ after: through, limit: batch, ...(tx ? { tx } : {}) });
      const events =
        upTo === undefined
          ? page.events
          : page.events.filter((e) => compareCheckpoints(e.checkpoint, upTo) <= 0);
      if (events.length === 0) break;
      const relevant = events.filter((e) => this.#rawTypes.has(e.type));
      if (relevant.length > 0) await foldSet(this.definitions, relevant, new Map(), into);
      replayed += events.length;
      through = events.length === page.events.length ? page.checkpoint : events.at(-1)!.checkpoint;
      if (events.length < page.events.length) break;
    }
    return { replayed, through };
  }

  /**
   * Take, until the end of `tx`, the locks that serialize changes to these
   * tenants' rows (in sorted order, so concurrent holders never deadlock).
   * Anything that reads, changes and writes back the set's rows outside the
   * event flow takes them too. Nothing to take in memory.
   *
   * @example
   * ```ts
   * await sql.transaction(async (tx) => { await shop.lockTenants(tx, ['s1']); … });
   * ```
   */
  async lockTenants(tx: SqlQueryable, tenantIds: readonly string[]): Promise<void> {
    if (this.#storage.kind === 'sql') await this.#storage.lockTenants(tx, tenantIds);
  }

  /** Resolve when the tables include everything in the log now (immediate inline). */
  async whenCaughtUp(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.processor) await this.processor.whenCaughtUp(options);
  }

  /**
   * Storage of one table, reading through `tx` when given.
   *
   * @example
   * ```ts
   * const stock = await shop.table('stock').load([{ shop_id: 's1', sku: 'a' }]);
   * ```
   */
  table(table: string, tx?: SqlQueryable): TableBackend {
    return this.#storage.table(table, tx);
  }

  /**
   * The rows guards judge for `table`, current with every committed append:
   * the table itself inline, its guard copy in async mode.
   *
   * @example
   * ```ts
   * const stock = await shop.guardedTable('stock').load([{ shop_id: 's1', sku: 'a' }]);
   * ```
   */
  guardedTable(table: string, tx?: SqlQueryable): TableBackend {
    return this.#guardCopies ? this.#guardCopies.table(guardCopyName(table), tx) : this.table(table, tx);
  }

  /**
   * Every row of a table, of every tenant, sorted by key. Unscoped on
   * purpose, for the host's own jobs and tests; a request's read goes through
   * {@link ProjectionSet.select} with the caller's tenants.
   *
   * @example
   * ```ts
   * const everyRow = await shop.unscopedRows('stock');
   * ```
   */
  async unscopedRows<R extends Row = Row>(table: string): Promise<R[]> {
    return (await this.table(table).all()) as R[];
  }

  /**
   * One row by key, or null, whichever tenant it belongs to (unscoped like
   * {@link ProjectionSet.unscopedRows}).
   *
   * @example
   * ```ts
   * const row = await shop.unscopedFind('stock', { shop_id: 's1', sku: 'a' });
   * ```
   */
  async unscopedFind<R extends Row = Row>(table: string, key: Row): Promise<R | null> {
    const found = await this.table(table).load([key]);
    return ([...found.values()][0] as R | undefined) ?? null;
  }

  /**
   * The rows of `table` of some tenants matching equality filters, sorted by
   * key; on SQL the filter runs in the database.
   *
   * @example
   * ```ts
   * const open = await shop.select('orders', { tenantColumn: 'shop_id', tenantIds: ['s1'], where: { status: 'open' } });
   * ```
   */
  async select<R extends Row = Row>(table: string, query: RowQuery = {}): Promise<R[]> {
    if (query.tenantIds?.length === 0 || query.limit === 0) return [];
    return (await this.#storage.select(table, query)) as R[];
  }

  /** Publish changes made outside a batch (e.g. a recomputation), after their commit. */
  publish(changes: readonly RowChange[]): void {
    whenRowsKnown(changes, () => {
      for (const change of changes) this.#subject.next(change);
    });
  }

  /**
   * Apply a batch through the processor's transaction `tx` (async on SQL) or
   * straight to the memory tables (async in memory). Returns the publisher of
   * the changes.
   */
  async #apply(
    events: readonly StoredEvent[],
    tx: SqlTransaction | undefined,
  ): Promise<(() => void) | undefined> {
    const relevant = events.filter((e) => this.#rawTypes.has(e.type));
    if (relevant.length === 0) return undefined;
    // One processor holds the lease; the tenants' locks make whoever changes their
    // rows outside the event flow (holding `lockTenants`) and it take turns.
    if (tx) await this.lockTenants(tx, relevant.map(this.#tenantOf));
    const all = await foldSet(this.definitions, relevant, new Map(), (t) => this.table(t, tx));
    if (all.length === 0) return undefined;
    return () => this.publish(all);
  }

  /**
   * The inline hook on SQL: apply a batch in its append's transaction `tx` and
   * check the guards. Group-commit flushes run concurrently and read rows,
   * change them and write them back, so each locks the rows it touches before
   * it reads them (else their updates are lost), table after table: flushes on
   * one row take turns, in the order they commit, and the rows read are the
   * latest committed ones — which is what makes the guards' verdict hold for
   * concurrent appends. Flushes on other rows go on meanwhile. The first
   * statement also takes the set's lock (shared; exclusive for a rebuild, or
   * for a batch reaching rows by scope, since rows it did not lock could be
   * written under it) and the tenants' locks (shared, so `lockTenants` holders
   * keep the batch out).
   */
  async #applyInline(events: readonly StoredEvent[], tx: SqlTransaction): Promise<(() => void) | undefined> {
    const storage = this.#storage;
    const relevant = events.filter((e) => this.#rawTypes.has(e.type));
    if (relevant.length === 0 || storage.kind !== 'sql') return undefined;
    const exclusive = this.#reachesByScope(relevant);
    let first = storage.applyLocks(relevant.map(this.#tenantOf), exclusive);
    const lockRowsOf =
      (table: string): LockRows =>
      async (keys, scoped, merged) => {
        if (scoped && !exclusive) throw new Error(`projection set "${this.#name}": unforeseen scope`);
        const locks = exclusive ? first : [...first, ...storage.rowLocks(table, keys, merged)];
        first = [];
        // Those taken before the write are held: a statement for the others only.
        const held = this.#lockedBeforeWrite.get(tx);
        await takeAdvisoryLocks(tx, held ? locks.filter((l) => !held.has(lockId(l))) : locks);
      };
    const reads = this.#readBeforeWrite.get(tx);
    const tableOf = reads
      ? (t: string) => reads.serving(t, definitionOf(this.definitions, t).key, this.#inlineTable(t, tx))
      : (t: string) => this.#inlineTable(t, tx);
    const all = await foldSet(this.definitions, relevant, new Map(), tableOf, lockRowsOf);
    this.#check(relevant, all);
    if (all.length === 0) return undefined;
    return () => this.publish(all);
  }

  /**
   * Before an inline batch is written: lock the rows its fold will change, so
   * flushes folding one row follow each other in the log as they fold (the
   * log orders transactions by the id the write gives them) and the tables
   * equal a rebuild. The rows of the raw events' tables are known from the
   * events. Those of tables folding row changes are known once the earlier
   * tables are folded: the batch is folded once here without writing, its
   * locks taken and rows read as the fold does, and the fold after the write
   * is served those rows. A batch reaching rows by scope, or whose keys need
   * the written event, takes the set's lock exclusively.
   */
  async #lockBeforeWrite(events: readonly StoredEvent[], tx: SqlTransaction): Promise<void> {
    const storage = this.#storage;
    const relevant = events.filter((e) => this.#rawTypes.has(e.type));
    if (relevant.length === 0 || storage.kind !== 'sql') return;
    const tenants = relevant.map(this.#tenantOf);
    const held = new Set<string>();
    this.#lockedBeforeWrite.set(tx, held);
    const take = (locks: readonly AdvisoryLock[]) => {
      for (const lock of locks) held.add(lockId(lock));
      return takeAdvisoryLocks(tx, locks);
    };
    const rawKeys = this.#reachesByScope(relevant) ? null : this.#rawRowLocks(storage, relevant);
    if (rawKeys === null) return take(storage.applyLocks(tenants, true));
    if (!this.#foldsRows) return take([...storage.applyLocks(tenants, false), ...rawKeys]);
    let first = storage.applyLocks(tenants, false);
    const lockRowsOf =
      (table: string): LockRows =>
      async (keys, _scoped, merged) => {
        const locks = [...first, ...storage.rowLocks(table, keys, merged)];
        first = [];
        await take(locks);
      };
    const reads = new RowsReadBeforeWrite();
    // The reads of tables whose changes no table folds are queued: they go out with the
    // next read or the write, and the dry fold sees none of their rows.
    // Only where the transaction pipelines: elsewhere a read not waited for would run on
    // the connection while the next statement is sent.
    const queue = tx.queue?.bind(tx);
    const queued: SqlQueryable = {
      query: <R>(text: string, params?: readonly unknown[], options?: QueryOptions) =>
        queue ? queue<R>(text, params, options) : tx.query<R>(text, params, options),
      exec: (text) => tx.exec(text),
    };
    const tableOf = (t: string) => {
      const deferred = queue !== undefined && !this.#foldedByOthers.has(t);
      return reads.recording(
        t,
        definitionOf(this.definitions, t).key,
        this.#inlineTable(t, deferred ? queued : tx),
        deferred,
      );
    };
    // Distinct positions, in batch order, for the fold's bookkeeping of row changes.
    const numbered = relevant.map((e, i) => ({ ...e, globalPosition: i + 1 }));
    try {
      await foldSet(this.definitions, numbered, new Map(), tableOf, lockRowsOf);
      this.#readBeforeWrite.set(tx, reads);
    } catch {
      // A read failed: so does the flush. Otherwise a handler needed the written
      // event: the fold after the write locks what is left.
      if (reads.failure) throw reads.failure.error;
    }
  }

  /** The locks of the rows `events` fold into in the raw events' tables, or null when one cannot be keyed. */
  #rawRowLocks(storage: SqlProjectionSetStorage, events: readonly StoredEvent[]): AdvisoryLock[] | null {
    const locks: AdvisoryLock[] = [];
    for (const def of this.definitions) {
      const touched = keysTouched(def, events, !this.#guardedTables.has(def.table));
      if (touched === null) return null;
      locks.push(...storage.rowLocks(def.table, touched.keys, touched.merged));
    }
    return locks;
  }

  /**
   * Whether a batch may reach rows by scope: a raw event a scope handler
   * scopes, or any change when a table scopes an earlier table's rows.
   */
  #reachesByScope(events: readonly StoredEvent[]): boolean {
    if (this.#scopesRows) return true;
    for (const event of events) {
      for (const def of this.definitions) {
        if (def.handlers[event.type]?.scope?.(event)) return true;
      }
    }
    return false;
  }

  /**
   * The inline hook in memory: the batch is staged and applied to the tables
   * only once the append commits, so an append that fails (a guard, another
   * hook) leaves no trace in the tables.
   */
  async #applyStaged(events: readonly StoredEvent[]): Promise<(() => void) | undefined> {
    if (this.#storage.kind !== 'memory') return undefined;
    while (this.#memoryHold) await this.#memoryHold;
    // Apply an event once even if the hook sees it again; the mark moves on commit only.
    const through = this.#memoryThrough;
    const relevant = events.filter(
      (e) => this.#rawTypes.has(e.type) && compareCheckpoints(e.checkpoint, through) > 0,
    );
    if (relevant.length === 0) return undefined;
    const batch = this.#storage.batch();
    const all = await foldSet(this.definitions, relevant, new Map(), (t) => batch.table(t));
    this.#check(relevant, all);
    const last = relevant.at(-1)!.checkpoint;
    return () => {
      batch.commit();
      if (compareCheckpoints(last, this.#memoryThrough) > 0) this.#memoryThrough = last;
      if (all.length > 0) this.publish(all);
    };
  }

  /** A table in an inline transaction: a guarded one folds merges on rows it reads (its guard sees them). */
  #inlineTable(table: string, tx: SqlQueryable): TableBackend {
    const backend = this.table(table, tx);
    return this.#guardedTables.has(table) ? withoutMerge(backend) : backend;
  }

  #check(events: readonly StoredEvent[], changes: readonly RowChange[]): void {
    for (const guard of this.#guards) guard({ events, changes });
  }

  /**
   * An inline set of copies of the guarded tables, whose guards see the
   * copies' changes under the original table names.
   */
  #inlineGuardCopies(options: ProjectionSetOptions): ProjectionSet {
    const tables = options.guardTables ?? [];
    if (tables.length === 0) {
      throw new InvalidArgumentError(
        `projection set "${options.name}" runs async with guards but names no guardTables`,
      );
    }
    const copies = tables.map((table): ProjectionDefinition => {
      const def = definitionOf(options.definitions, table);
      if (def.eventTypes.some((t) => t.startsWith('row:'))) {
        throw new InvalidArgumentError(
          `guard table "${table}" folds other tables' rows; it must fold log events only`,
        );
      }
      return { ...def, name: guardCopyName(def.name), table: guardCopyName(def.table) };
    });
    const original = new Map(tables.map((t) => [guardCopyName(t), t]));
    return new ProjectionSet({
      store: this.#store,
      name: guardCopyName(options.name),
      definitions: copies,
      tenantOf: this.#tenantOf,
      mode: 'inline',
      guards: this.#guards.map(
        (guard): ProjectionSetGuard =>
          ({ events, changes }) =>
            guard({
              events,
              changes: changes.map((c) => ({ ...c, table: original.get(c.table) ?? c.table })),
            }),
      ),
    });
  }
}

/** The name of a guard copy of a table (or of a set). */
function guardCopyName(name: string): string {
  return `${name}_guard`;
}
