/**
 * `sync-inventory-levels` on inventory events: a processor (one host at a
 * time, by its lease) reads stock movements from the log and marks their
 * products; a product is synced once its events have paused for `debounceMs`,
 * and at the latest `maxWaitMs` after its first unsynced event, however long
 * a burst lasts. One run per creator and flush reads TikTok Shop's stock of
 * the marked products through the port (one search) and reports the figures
 * that differ from on hand as scheduled-sync contenders (priority 5). Their
 * derived columns (velocity, stock-out, reorder) and alerts need no
 * recompute here: the read models fold them as of each event, and the
 * schedule every 5 minutes (`commerceSchedules`) recomputes every product as
 * time passes.
 *
 * Marks are durable (`InventorySyncMarks`): the batch that marks products
 * upserts them in the statement that moves the processor's checkpoint past
 * their events (SQL: one statement a batch; at-least-once delivery, so a
 * failure before the checkpoint moved — in memory, or a fence that fails —
 * delivers the events again, and the upsert is idempotent), and a flush settles them only
 * once its sync run committed its reports. A settled product keeps the
 * position it was synced at, so events delivered again mark nothing and are
 * never synced twice. The lease holder keeps a copy in memory to decide what
 * is due; a host that takes the lease (a start, a takeover after a crash)
 * loads what the table holds and flushes it, so a host killed between
 * marking and flushing loses nothing.
 */
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../../core/errors.js';
import {
  createProcessor,
  type CheckpointWrite,
  type LeaseOptions,
  type Processor,
} from '../../processing/index.js';
import { PollLoop } from '../../runtime/index.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import { RESOLVE_SYNC_CONFLICTS } from '../conflicts/sync-conflict-processor.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import {
  markKey,
  mergeMark,
  type InventorySyncMark,
  type InventorySyncMarks,
} from './inventory-sync-marks.js';
import { inventorySyncMarksOf } from './inventory-sync-marks-of.js';
import { actorOf, systemPrincipal } from '../../access/acting-principal.js';
import { reportTikTokStock, SYNC_INVENTORY_SOURCE, type TikTokStockFeed } from './tiktok-stock-report.js';

/** Who the sync on inventory events acts as: a system principal named after it. */
const ON_EVENTS_ACTOR = actorOf(systemPrincipal('sync-inventory-levels:on-events'));

/**
 * The processor's name (checkpoint, lease, dead letters).
 *
 * @example
 * ```ts
 * await engine.processorLag(SYNC_INVENTORY_ON_EVENTS);
 * ```
 */
export const SYNC_INVENTORY_ON_EVENTS = 'sync-inventory-levels-on-events';

/**
 * The events that mark a product for a sync: its stock moved.
 *
 * @example
 * ```ts
 * INVENTORY_SYNC_TRIGGER_EVENTS.includes(event.type);
 * ```
 */
export const INVENTORY_SYNC_TRIGGER_EVENTS = [
  'inventory.stock_updated',
  'inventory.stock_reported',
  'inventory.reserved',
  'inventory.released',
] as const;

/**
 * Options of `createCommerce({ inventorySync })`: where real stock is read,
 * and how a burst of events is coalesced.
 *
 * @example
 * ```ts
 * const commerce = createCommerce({
 *   store,
 *   conflicts: true,
 *   inventorySync: {
 *     tiktok: { client: tiktok, shopOf: (creatorId) => shops.get(creatorId) },
 *     debounceMs: 2_000,
 *     maxWaitMs: 10_000,
 *   },
 * });
 * ```
 */
export interface InventorySyncOptions {
  /** TikTok Shop's stock (the port and each creator's shop). */
  tiktok: TikTokStockFeed;
  /** Sync a product once its events have paused this long, ms. Default 2,000. */
  debounceMs?: number;
  /** ... and at the latest this long after its first unsynced event, ms. Default 10,000. */
  maxWaitMs?: number;
  /** How often marked products are checked, ms. Default 250. */
  tickMs?: number;
  /** Backstop poll of the processor, ms. Default 1,000. */
  pollIntervalMs?: number;
  /** Lease of the processor (SQL stores); only the holder syncs. */
  lease?: false | LeaseOptions;
  /** Clock of the debounce, ms; injectable for tests. */
  now?: () => number;
}

/** One run on events: a creator's marked products. */
export interface InventoryEventSync {
  creatorId: string;
  productIds: string[];
  /** SKU figures TikTok answered. */
  read: number;
  /** Figures that differed from on hand, reported as scheduled-sync contenders. */
  reported: number;
}

/** Events of an {@link InventorySyncTrigger}. */
export interface InventorySyncTriggerEvents {
  synced: [run: InventoryEventSync];
  error: [error: unknown];
}

/**
 * What the trigger needs of the commerce module (`createCommerce` passes its own).
 *
 * @example
 * ```ts
 * const deps: InventorySyncTriggerDeps = { store, readModels: commerce.readModels, reportContenders: true };
 * ```
 */
export interface InventorySyncTriggerDeps {
  store: EventStore;
  readModels: ReadModelSet;
  /** Whether `resolve-sync-conflicts` runs (without it, TikTok's figures are not reported). */
  reportContenders: boolean;
}

/**
 * Run `sync-inventory-levels` for the products inventory events touch, debounced.
 *
 * @example
 * ```ts
 * const trigger = new InventorySyncTrigger(
 *   { store, readModels, reportContenders: true },
 *   { tiktok: { client, shopOf: () => 'shop-1' } },
 * );
 * await trigger.start();
 * ```
 */
export class InventorySyncTrigger extends EventEmitter<InventorySyncTriggerEvents> {
  readonly processor: Processor;
  /** Where real stock is read (also the schedule's, by default). */
  readonly feed: TikTokStockFeed;
  readonly #deps: InventorySyncTriggerDeps;
  readonly #debounceMs: number;
  readonly #maxWaitMs: number;
  readonly #tickMs: number;
  readonly #now: () => number;
  /** Where the marks outlive this host. */
  readonly #durable: InventorySyncMarks;
  /** The lease holder's copy of the marks, per creator then product. */
  readonly #marks = new Map<string, Map<string, InventorySyncMark>>();
  /** True until the marks are loaded in this lease tenure (another holder may have left some). */
  #reload = true;
  #loop: PollLoop | null = null;
  #flushing: Promise<InventoryEventSync[]> | null = null;

  constructor(deps: InventorySyncTriggerDeps, options: InventorySyncOptions) {
    super();
    for (const [name, value] of [
      ['debounceMs', options.debounceMs],
      ['maxWaitMs', options.maxWaitMs],
      ['tickMs', options.tickMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0))
        throw new InvalidArgumentError(`inventorySync.${name} must be a finite number >= 0, got ${value}`);
    }
    this.#deps = deps;
    this.feed = options.tiktok;
    this.#debounceMs = options.debounceMs ?? 2_000;
    this.#maxWaitMs = Math.max(this.#debounceMs, options.maxWaitMs ?? 10_000);
    this.#tickMs = options.tickMs ?? 250;
    this.#now = options.now ?? Date.now;
    this.#durable = inventorySyncMarksOf(deps.store);
    this.processor = createProcessor({
      store: deps.store,
      name: SYNC_INVENTORY_ON_EVENTS,
      // Marking is all it does, idempotently (a mark at or below its product's synced
      // position is ignored): on SQL one statement upserts the marks and moves the
      // checkpoint (ctx.withCheckpoint), not a transaction's four statements.
      delivery: 'at-least-once',
      eventTypes: [...INVENTORY_SYNC_TRIGGER_EVENTS],
      // A first start does not sync every product the log ever moved: the schedule covers the past.
      startFrom: 'end',
      handleBatch: (events, ctx) => this.#mark(events, ctx.withCheckpoint),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.lease === undefined ? {} : { lease: options.lease }),
    });
    this.processor.on('error', (err: unknown) => this.emit('error', err));
    // A new tenure loads the marks the table holds: the previous holder's too. A lost
    // lease drops the copy at once: the next holder may sync and remove those marks.
    this.processor.on('processor:lease_acquired', () => {
      this.#reload = true;
    });
    this.processor.on('processor:lease_lost', () => {
      this.#marks.clear();
      this.#reload = true;
    });
  }

  /** Start the processor and the flush loop (a flush every `tickMs`); marks left unflushed are flushed. */
  async start(): Promise<void> {
    await this.#durable.migrate();
    await this.processor.migrate();
    this.#reload = true;
    await this.processor.start();
    const tick = { ms: this.#tickMs, wakeable: false };
    this.#loop = new PollLoop({
      turn: async () => {
        await this.flushDue();
        return tick;
      },
      onError: (err) => {
        this.emit('error', err);
      },
      errorBackoffMs: this.#tickMs,
    });
    this.#loop.start({ first: tick });
  }

  /** Stop the flush loop (after a flush in progress) and the processor; marks stay stored for the next holder. */
  async stop(): Promise<void> {
    await this.#loop?.stop();
    this.#loop = null;
    await this.#flushing?.catch(() => undefined);
    await this.processor.stop();
    this.#marks.clear();
  }

  /** Resolve once every inventory event in the log as it is now has been marked. */
  async whenCaughtUp(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.processor.whenCaughtUp(options);
  }

  /** Products marked and not yet synced, per creator (for tests and health). */
  pending(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.#marks].map(([creator, marks]) => [creator, [...marks.keys()].sort()]),
    );
  }

  /**
   * Sync the products that are due by `nowMs` (default now): the timer calls
   * this. One flush at a time; only the lease holder syncs (elsewhere the
   * copy in memory is dropped: the holder has the marks). The first flush of
   * a lease tenure loads the stored marks, those a previous holder left too.
   */
  async flushDue(nowMs: number = this.#now()): Promise<InventoryEventSync[]> {
    while (this.#flushing) await this.#flushing.catch(() => undefined);
    const run = this.#flush(nowMs);
    this.#flushing = run;
    try {
      return await run;
    } finally {
      this.#flushing = null;
    }
  }

  async #flush(nowMs: number): Promise<InventoryEventSync[]> {
    if (!this.processor.leaseHeld) {
      this.#marks.clear();
      this.#reload = true;
      return [];
    }
    if (this.#reload) {
      this.#reload = false;
      try {
        // The table is the truth (every mark held was stored first): a copy left from
        // an earlier tenure may hold marks another holder has synced since. Cleared
        // before the read, so a mark stored and held meanwhile is kept either way.
        this.#marks.clear();
        for (const mark of await this.#durable.load()) this.#hold(mark);
      } catch (error) {
        this.#reload = true;
        throw error;
      }
    }
    const due = new Map<string, Map<string, InventorySyncMark>>();
    for (const [creatorId, marks] of this.#marks) {
      for (const [productId, mark] of marks) {
        if (mark.lastMs + this.#debounceMs > nowMs && mark.firstMs + this.#maxWaitMs > nowMs) continue;
        marks.delete(productId);
        let ofCreator = due.get(creatorId);
        if (!ofCreator) due.set(creatorId, (ofCreator = new Map()));
        ofCreator.set(productId, mark);
      }
      if (marks.size === 0) this.#marks.delete(creatorId);
    }
    const runs: InventoryEventSync[] = [];
    let failure: { error: unknown } | undefined;
    for (const [creatorId, marks] of due) {
      try {
        const run = await this.#sync(creatorId, marks);
        // Its reports are committed: the marks are settled (a crash before this syncs them
        // again, reported once by key). The same events delivered again meanwhile were held
        // again: drop them too; a later event (a higher position) stays.
        await this.#durable.remove([...marks.values()]);
        for (const mark of marks.values()) this.#drop(mark);
        runs.push(run);
        this.emit('synced', run);
      } catch (error) {
        // Tried again after a pause; events meanwhile only move the pause on.
        for (const mark of marks.values()) this.#hold({ ...mark, firstMs: nowMs, lastMs: nowMs });
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
    return runs;
  }

  async #sync(creatorId: string, marks: Map<string, InventorySyncMark>): Promise<InventoryEventSync> {
    const { store, readModels, reportContenders } = this.#deps;
    const productIds = [...marks.keys()].sort();
    // On hand as the log has it now, so only real differences are reported.
    await readModels.whenCaughtUp();
    const report = reportContenders
      ? await reportTikTokStock({
          store,
          readModels,
          feed: this.feed,
          creatorId,
          productIds,
          // Marks replayed after a crash carry the same position: each figure is reported once.
          keyOf: (productId) => `sync-on-events:${creatorId}:${productId}:${marks.get(productId)!.position}`,
          actor: ON_EVENTS_ACTOR,
        })
      : { read: 0, reported: 0 };
    return { creatorId, productIds, ...report };
  }

  /**
   * Mark the products of a batch: one upsert, sent with the checkpoint update
   * where the processor offers it (`withCheckpoint`, SQL). The copy in memory
   * takes what the upsert marked at once (it is committed when it answers),
   * so a later failure leaves nothing stored and unheld. Events at or below a
   * synced position come back empty.
   */
  async #mark(events: readonly StoredEvent[], withCheckpoint: CheckpointWrite | undefined): Promise<void> {
    const nowMs = this.#now();
    const batch = new Map<string, InventorySyncMark>();
    for (const event of events) {
      const source = event.metadata.source;
      // Its own reports and their settled outcomes would only start it again.
      if (source === SYNC_INVENTORY_SOURCE || source === RESOLVE_SYNC_CONFLICTS) continue;
      const { creatorId, productId } = event.data as { creatorId?: unknown; productId?: unknown };
      if (typeof creatorId !== 'string' || typeof productId !== 'string') continue;
      const mark = { creatorId, productId, firstMs: nowMs, lastMs: nowMs, position: event.globalPosition };
      batch.set(markKey(mark), mergeMark(batch.get(markKey(mark)), mark));
    }
    if (batch.size === 0) return;
    for (const mark of await this.#durable.add([...batch.values()], withCheckpoint)) this.#hold(mark);
  }

  /** Fold a mark into the copy in memory. */
  #hold(mark: InventorySyncMark): void {
    let marks = this.#marks.get(mark.creatorId);
    if (!marks) this.#marks.set(mark.creatorId, (marks = new Map()));
    marks.set(mark.productId, mergeMark(marks.get(mark.productId), mark));
  }

  /** Drop a product's mark from the copy if a run synced its position. */
  #drop(synced: InventorySyncMark): void {
    const marks = this.#marks.get(synced.creatorId);
    const held = marks?.get(synced.productId);
    if (!marks || !held || held.position > synced.position) return;
    marks.delete(synced.productId);
    if (marks.size === 0) this.#marks.delete(synced.creatorId);
  }
}
