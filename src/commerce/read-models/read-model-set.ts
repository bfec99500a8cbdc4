/**
 * A set of read models updated together, in one transaction per batch, where
 * later tables may fold the row changes of earlier ones.
 *
 * Why not one `createProjection` per table: a projection handler sees one row
 * and one event, but `order_metrics` needs each order's receive time when it
 * ships, and `inventory_alerts` needs a product's stock level. Here a table
 * can subscribe to `row:<earlier table>` pseudo-events (the earlier table's
 * {@link RowChange}, carrying both the old and the new row), so every
 * definition stays a plain, pure {@link ProjectionDefinition} folded by the
 * processing module's `applyProjectionBatch`.
 */
import { EventEmitter } from 'eventemitter3';
import { Subject, filter, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row, RowChange } from '../../core/row-change.js';
import { quoteIdent, type SqlTransaction } from '../../core/sql-client.js';
import {
  SqlTable,
  applyProjectionBatch,
  createProcessor,
  migrateProcessing,
  type Processor,
  type ProjectionDefinition,
  type TableBackend,
} from '../../processing/index.js';
import { migrateProjectionTable } from '../../processing/projection/table-names.js';
import {
  compareCheckpoints,
  parseCheckpoint,
  START_CHECKPOINT,
  type LogCheckpoint,
} from '../../core/checkpoint.js';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from '../../store/postgres/event-rows.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import { MemoryTables } from './memory-tables.js';
import type { ReadModelGuard } from './read-model-guard.js';

/** The creator an event is about (`'*'` for system-wide events). */
function creatorOf(event: StoredEvent): string {
  const id = (event.data as { creatorId?: unknown } | null)?.creatorId;
  return typeof id === 'string' ? id : '*';
}

/** The pseudo-event type carrying the row changes of `table`. */
export function rowEventType(table: string): string {
  return `row:${table}`;
}

/**
 * The row change a `row:<table>` pseudo-event carries.
 *
 * @example
 * ```ts
 * const { oldRow, newRow } = rowChangeOf(event);
 * ```
 */
export function rowChangeOf(event: StoredEvent): RowChange {
  return event.data as RowChange;
}

/** Where the set runs. */
export const READ_MODEL_MODES = ['inline', 'async'] as const;
/** One of {@link READ_MODEL_MODES}. */
export type ReadModelMode = (typeof READ_MODEL_MODES)[number];

/** Events of a read-model set. */
export interface ReadModelSetEventMap {
  error: [error: unknown];
}

/**
 * Options of {@link ReadModelSet}.
 *
 * @example
 * ```ts
 * const set = new ReadModelSet({
 *   store, name: 'shop', definitions: [orders, orderMetrics], // orderMetrics folds row:orders
 *   mode: 'async', batchSize: 200,
 *   guards: [noNegativeStock], guardTables: ['inventory_levels'],
 * });
 * ```
 */
export interface ReadModelSetOptions {
  store: EventStore;
  /** Definitions in dependency order: a table may fold `row:<t>` only of tables before it. */
  definitions: readonly ProjectionDefinition[];
  /** Processor (async) / hook (inline) name. */
  name: string;
  /** Default `'inline'`: rows change in the append's transaction. */
  mode?: ReadModelMode;
  /** Processor batch size in async mode. Default 500. */
  batchSize?: number;
  /** Processor backstop poll in async mode, ms. Default 1000. */
  pollIntervalMs?: number;
  /** Checked after each append's batch, in its transaction; a throwing guard fails the append. */
  guards?: readonly ReadModelGuard[];
  /**
   * The tables the guards judge. In async mode the events reach the tables
   * after they commit, too late to refuse one, so these tables are also kept
   * inline as guard copies (`<table>_guard`, folded in each append's
   * transaction) and the guards judge those. Their definitions may fold only
   * log events, not other tables' rows.
   */
  guardTables?: readonly string[];
}

/**
 * Several read models kept in step.
 *
 * @example
 * ```ts
 * const set = new ReadModelSet({ store, name: 'commerce', definitions: [orders, orderMetrics] });
 * set.changes.subscribe((c) => console.log(c.table, c.operation));
 * await set.start();
 * ```
 */
export class ReadModelSet extends EventEmitter<ReadModelSetEventMap> {
  /** Every row change of every table, after its transaction committed. */
  readonly changes: Observable<RowChange>;
  readonly definitions: readonly ProjectionDefinition[];
  readonly mode: ReadModelMode;
  /** The processor in async mode. */
  readonly processor: Processor | undefined;
  readonly #store: EventStore;
  readonly #name: string;
  readonly #subject = new Subject<RowChange>();
  /** The tables when the store is in memory. */
  readonly #memory: MemoryTables | undefined;
  readonly #rawTypes: ReadonlySet<string>;
  readonly #guards: readonly ReadModelGuard[];
  /** Async mode with guards: the inline guard copies of the guarded tables. */
  readonly #guardCopies: ReadModelSet | undefined;
  #memoryThrough: LogCheckpoint = START_CHECKPOINT;
  #removeHook: (() => void) | undefined;
  #migrated = false;

  constructor(options: ReadModelSetOptions) {
    super();
    this.#store = options.store;
    this.#name = options.name;
    this.definitions = options.definitions;
    this.mode = options.mode ?? 'inline';
    this.changes = this.#subject.asObservable();
    const tables = new Set<string>();
    const raw = new Set<string>();
    for (const def of options.definitions) {
      for (const type of def.eventTypes) {
        if (!type.startsWith('row:')) raw.add(type);
        else if (!tables.has(type.slice(4))) {
          throw new InvalidArgumentError(
            `read model "${def.name}" folds ${type}, which is not defined before it`,
          );
        }
      }
      tables.add(def.table);
    }
    this.#rawTypes = raw;
    this.#guards = options.guards ?? [];
    this.#guardCopies =
      this.mode === 'async' && this.#guards.length > 0 ? this.#inlineGuardCopies(options) : undefined;
    this.#memory = this.#store.sql ? undefined : new MemoryTables(options.definitions);
    this.processor =
      this.mode === 'async'
        ? createProcessor({
            store: this.#store,
            name: options.name,
            eventTypes: [...raw],
            batchSize: options.batchSize ?? 500,
            pollIntervalMs: options.pollIntervalMs ?? 1000,
            handleBatch: (events, { tx }) => this.#apply(events, tx),
          })
        : undefined;
    this.processor?.on('error', (err: unknown) => this.emit('error', err));
  }

  /** Row changes of one table (a realtime channel). */
  changesOf(table: string): Observable<RowChange> {
    return this.changes.pipe(filter((c) => c.table === table));
  }

  /** Create the tables (and, in async mode, the processing tables and guard copies). */
  async migrate(): Promise<void> {
    await this.#guardCopies?.migrate();
    const sql = this.#store.sql;
    if (this.#migrated || !sql) return;
    await migrateProcessing(sql, this.#store.schema);
    for (const def of this.definitions) await migrateProjectionTable(sql, this.#store.schema, def);
    this.#migrated = true;
  }

  /** Migrate, then register the inline hook or start the processor. */
  async start(): Promise<void> {
    await this.migrate();
    await this.#guardCopies?.start();
    if (this.processor) return this.processor.start();
    if (this.#removeHook) return;
    const lockKey = this.#lockKey();
    this.#removeHook = this.#store.addInlineHook({
      name: this.#name,
      // A batch with none of them changes no table: no transaction, no lock.
      eventTypes: this.#rawTypes,
      apply: async ({ tx, events }) => {
        if (!tx) return this.#applyStaged(events);
        // Shared with other appends (that write events the tables fold); a rebuild takes it exclusively.
        await tx.query('SELECT pg_advisory_xact_lock_shared(hashtext($1))', [lockKey]);
        return this.#apply(events, tx, true);
      },
    });
  }

  async stop(): Promise<void> {
    this.#removeHook?.();
    this.#removeHook = undefined;
    await this.processor?.stop();
    await this.#guardCopies?.stop();
  }

  /**
   * Rebuild every table from the start of the log (e.g. after changing
   * thresholds or inventory settings). Inline on SQL: one transaction that
   * holds appends' hooks back, empties the tables and replays the log — readers
   * see the old rows until it commits. Async: the processor is stopped, the
   * tables emptied and the processor restarted from the beginning. Returns the
   * number of events replayed (async: 0, the processor replays them).
   *
   * @example
   * ```ts
   * await commerce.readModels.rebuild();
   * ```
   */
  async rebuild(options: { batchSize?: number } = {}): Promise<number> {
    await this.migrate();
    const batch = options.batchSize ?? 5000;
    const sql = this.#store.sql;
    if (this.processor) {
      await this.#guardCopies?.rebuild(options);
      const wasRunning = this.processor.running;
      await this.processor.stop();
      if (sql) await sql.transaction((tx) => this.#truncate(tx));
      else this.#memory?.clear();
      await this.processor.seek(START_CHECKPOINT);
      if (wasRunning) await this.processor.start();
      return 0;
    }
    if (!sql) {
      this.#memory?.clear();
      let replayed = 0;
      let after: LogCheckpoint = START_CHECKPOINT;
      for (;;) {
        const page = await this.#store.readAll({ after, limit: batch });
        if (page.events.length === 0) break;
        await this.#apply(page.events, undefined, false);
        replayed += page.events.length;
        after = page.checkpoint;
      }
      this.#memoryThrough = after;
      return replayed;
    }
    return sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#lockKey()]);
      await this.#truncate(tx);
      let replayed = 0;
      let after: LogCheckpoint = START_CHECKPOINT;
      for (;;) {
        // Read through the transaction: appends that would add events wait on the lock.
        const { transactionId, globalPosition } = parseCheckpoint(after);
        const { rows } = await tx.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM ${quoteIdent(this.#store.schema)}.events
            WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            ORDER BY transaction_id, global_position LIMIT ${batch}`,
          [transactionId.toString(), globalPosition],
        );
        if (rows.length === 0) break;
        const events = rows.map(toStoredEvent);
        const relevant = events.filter((e) => this.#rawTypes.has(e.type));
        if (relevant.length > 0) {
          await this.#fold(this.definitions, relevant, new Map(), (t) => this.table(t, tx));
        }
        replayed += events.length;
        after = events.at(-1)!.checkpoint;
      }
      return replayed;
    });
  }

  /**
   * Take, until the end of `tx`, the locks that serialize changes to these
   * creators' rows (in sorted order, so concurrent holders never deadlock).
   * Anything that reads, changes and writes back read-model rows outside the
   * event flow takes them too.
   *
   * @example
   * ```ts
   * await sql.transaction(async (tx) => { await set.lockCreators(tx, ['c1']); … });
   * ```
   */
  async lockCreators(tx: SqlTransaction, creatorIds: readonly string[]): Promise<void> {
    const prefix = `creatorflow.read_models:${this.#store.schema}.${this.#name}:`;
    for (const id of [...new Set(creatorIds)].sort()) {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [prefix + id]);
    }
  }

  async #truncate(tx: SqlTransaction): Promise<void> {
    const schema = quoteIdent(this.#store.schema);
    const tables = this.definitions.map((d) => `${schema}.${quoteIdent(d.table)}`).join(', ');
    await tx.query(`TRUNCATE ${tables}`);
  }

  #lockKey(): string {
    return `creatorflow.read_models:${this.#store.schema}.${this.#name}`;
  }

  /** Resolve when the read models include everything in the log now (immediate inline). */
  async whenCaughtUp(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.processor) await this.processor.whenCaughtUp(options);
  }

  /**
   * Storage of one table, reading through `tx` when given.
   *
   * @example
   * ```ts
   * const levels = await set.table('inventory_levels').load([{ creator_id: 'c1', product_id: 'p1' }]);
   * ```
   */
  table(table: string, tx?: SqlTransaction): TableBackend {
    const def = this.#definition(table);
    return (
      this.#memory?.table(table) ?? new SqlTable(tx ?? this.#store.sql!, this.#store.schema, table, def.key)
    );
  }

  /**
   * The rows guards judge for `table`, current with every committed append:
   * the table itself inline, its guard copy in async mode.
   *
   * @example
   * ```ts
   * const level = await set.guardedTable('inventory_levels').load([{ creator_id: 'c1', product_id: 'p1' }]);
   * ```
   */
  guardedTable(table: string, tx?: SqlTransaction): TableBackend {
    return this.#guardCopies ? this.#guardCopies.table(guardCopyName(table), tx) : this.table(table, tx);
  }

  /**
   * Every row of a table, of every creator, sorted by key. Unscoped on
   * purpose: the domain's own access (processors, jobs, tests). A caller's
   * read goes through `commerce.as(principal).rows()`, which checks roles,
   * scopes by creator and access-audits admins.
   *
   * @example
   * ```ts
   * const everyLevel = await commerce.readModels.unscopedRows('inventory_levels'); // a job, not a request
   * ```
   */
  async unscopedRows<R extends Row = Row>(table: string): Promise<R[]> {
    return (await this.table(table).all()) as R[];
  }

  /**
   * One row by key, or null, whoever's creator it is. Unscoped on purpose
   * like {@link ReadModelSet.unscopedRows}; a caller's read is `commerce.as(principal).find()`.
   *
   * @example
   * ```ts
   * const level = await commerce.readModels.unscopedFind('inventory_levels', { creator_id: 'c1', product_id: 'p1' });
   * ```
   */
  async unscopedFind<R extends Row = Row>(table: string, key: Row): Promise<R | null> {
    const found = await this.table(table).load([key]);
    return ([...found.values()][0] as R | undefined) ?? null;
  }

  /** Publish changes made outside a batch (e.g. a recomputation), after their commit. */
  publish(changes: readonly RowChange[]): void {
    for (const change of changes) this.#subject.next(change);
  }

  /** Apply `definitions` in order to `anchors` and the pseudo-events of earlier tables' changes. */
  async #fold(
    definitions: readonly ProjectionDefinition[],
    anchors: readonly StoredEvent[],
    derived: Map<number, StoredEvent[]>,
    tableOf: (table: string) => TableBackend,
  ): Promise<RowChange[]> {
    const all: RowChange[] = [];
    const causes = new Map(anchors.map((e) => [e.globalPosition, e]));
    for (const def of definitions) {
      const input: StoredEvent[] = [];
      for (const event of anchors) {
        input.push(event);
        const more = derived.get(event.globalPosition);
        if (more) input.push(...more);
      }
      const changes = await applyProjectionBatch(def, tableOf(def.table), input);
      for (const change of changes) {
        const pseudo: StoredEvent = {
          ...causes.get(change.position)!,
          type: rowEventType(change.table),
          data: change,
        };
        const list = derived.get(change.position);
        if (list) list.push(pseudo);
        else derived.set(change.position, [pseudo]);
      }
      all.push(...changes);
    }
    return all;
  }

  #definition(table: string): ProjectionDefinition {
    const def = this.definitions.find((d) => d.table === table);
    if (!def) throw new InvalidArgumentError(`unknown read model "${table}"`);
    return def;
  }

  /**
   * Apply a batch through `tx` (inline on SQL, or the processor's transaction)
   * or straight to the memory tables (async in memory, rebuild); check the
   * guards when `guarded`. Returns the publisher of the changes.
   */
  async #apply(
    events: readonly StoredEvent[],
    tx: SqlTransaction | undefined,
    guarded = false,
  ): Promise<(() => void) | undefined> {
    const relevant = events.filter((e) => this.#rawTypes.has(e.type));
    if (relevant.length === 0) return undefined;
    // Appends run concurrently and rows are read, changed and written back, so the
    // transactions touching one creator's rows take turns (else updates are lost).
    // Under this lock the rows read are the latest committed ones, which is also
    // what makes the guards' verdict hold for concurrent appends.
    if (tx) await this.lockCreators(tx, relevant.map(creatorOf));
    const all = await this.#fold(this.definitions, relevant, new Map(), (t) => this.table(t, tx));
    if (guarded) this.#check(relevant, all);
    if (all.length === 0) return undefined;
    return () => this.publish(all);
  }

  /**
   * The inline hook in memory: the batch is staged and applied to the tables
   * only once the append commits, so an append that fails (a guard, another
   * hook) leaves no trace in the read models.
   */
  async #applyStaged(events: readonly StoredEvent[]): Promise<(() => void) | undefined> {
    // Apply an event once even if the hook sees it again; the mark moves on commit only.
    const through = this.#memoryThrough;
    const relevant = events.filter(
      (e) => this.#rawTypes.has(e.type) && compareCheckpoints(e.checkpoint, through) > 0,
    );
    if (relevant.length === 0) return undefined;
    const batch = this.#memory!.batch();
    const all = await this.#fold(this.definitions, relevant, new Map(), (t) => batch.table(t));
    this.#check(relevant, all);
    const last = relevant.at(-1)!.checkpoint;
    return () => {
      batch.commit();
      if (compareCheckpoints(last, this.#memoryThrough) > 0) this.#memoryThrough = last;
      if (all.length > 0) this.publish(all);
    };
  }

  #check(events: readonly StoredEvent[], changes: readonly RowChange[]): void {
    for (const guard of this.#guards) guard({ events, changes });
  }

  /**
   * An inline set of copies of the guarded tables, whose guards see the
   * copies' changes under the original table names.
   */
  #inlineGuardCopies(options: ReadModelSetOptions): ReadModelSet {
    const tables = options.guardTables ?? [];
    if (tables.length === 0) {
      throw new InvalidArgumentError(
        `read models "${options.name}" run async with guards but name no guardTables`,
      );
    }
    const copies = tables.map((table): ProjectionDefinition => {
      const def = this.#definition(table);
      if (def.eventTypes.some((t) => t.startsWith('row:'))) {
        throw new InvalidArgumentError(
          `guard table "${table}" folds other tables' rows; it must fold log events only`,
        );
      }
      return { ...def, name: guardCopyName(def.name), table: guardCopyName(def.table) };
    });
    const original = new Map(tables.map((t) => [guardCopyName(t), t]));
    return new ReadModelSet({
      store: this.#store,
      name: guardCopyName(options.name),
      definitions: copies,
      mode: 'inline',
      guards: this.#guards.map(
        (guard): ReadModelGuard =>
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
