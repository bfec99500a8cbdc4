/**
 * `resolve-sync-conflicts` as a processor. It reads every stock and order
 * report from the log and stages it (durably: the checkpoint moves only once
 * the report is staged). A timer settles the windows that have closed: a lone
 * report is applied as it is; two or more go through the conflict resolver
 * (source priority, entity policies, business rules, escalation), which
 * appends `inventory.sync_conflict_detected` (or `conflict.detected`) and the
 * outcome and audits the conflict; the resolved value is then appended as the
 * event the read models fold. Escalated conflicts wait in the manual queue,
 * and an admin's decision (`conflict.resolved`, manual) reaches the read
 * models through this processor too.
 */
import { EventEmitter } from 'eventemitter3';
import type { ConflictRecord } from '../../conflicts/audit/audit-record.js';
import { policyFor, windowFor, type ConflictConfigInput } from '../../conflicts/config.js';
import { CONFLICT_RESOLVED_EVENT, type ConflictResolvedData } from '../../conflicts/events.js';
import type { JsonObject } from '../../conflicts/json.js';
import { ConflictResolver } from '../../conflicts/resolver.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { createProcessor, type LeaseOptions, type Processor } from '../../processing/index.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import type { CommerceOrderRow } from '../read-models/commerce-orders.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import {
  MemoryContenderStaging,
  SqlContenderStaging,
  type ContenderStaging,
  type OpenEntity,
  type SettledEntityType,
  type StagedContender,
} from './contender-staging.js';
import { commerceConflictConfig } from './commerce-conflict-config.js';
import { ORDER_REPORTED_EVENT, STOCK_REPORTED_EVENT, registerSyncReportEvents } from './report-events.js';
import { OpenEntityIndex } from './open-index.js';
import { toStaged } from './report-contender.js';
import { dueWindow } from './settle-window.js';
import { settledOutcome } from './settled-outcome.js';

/**
 * The processor's name (checkpoint, lease, dead letters), the specification's function name.
 *
 * @example
 * ```ts
 * await engine.processorLag(RESOLVE_SYNC_CONFLICTS);
 * ```
 */
export const RESOLVE_SYNC_CONFLICTS = 'resolve-sync-conflicts';

/** How often the open-entity index is rebuilt from the staging table, ms (reports staged before this instance held the lease). */
const INDEX_RELOAD_MS = 1_000;

/** The metadata `source` of the events it appends. */
const SOURCE = RESOLVE_SYNC_CONFLICTS;

/**
 * Options of {@link SyncConflictProcessor}.
 *
 * @example
 * ```ts
 * const commerce = createCommerce({
 *   store,
 *   conflicts: { settleMs: 2_000, tickMs: 500, concurrency: 4, config: { thresholds: { orderValue: 2_000 } } },
 * });
 * ```
 */
export interface SyncConflictOptions {
  /** Conflict configuration (priorities, windows, thresholds, policies), merged over the defaults. */
  config?: ConflictConfigInput;
  /** Grace after a window's end for late reports, ms. Default 1,000. */
  settleMs?: number;
  /** How often closed windows are settled, ms. Default 250. */
  tickMs?: number;
  /** Backstop poll of the processor, ms. Default 1,000. */
  pollIntervalMs?: number;
  /** Lease of the processor (SQL stores); only the holder settles windows. */
  lease?: false | LeaseOptions;
  /** Entities settled at once (each entity's windows stay in order). Default 8. */
  concurrency?: number;
  /** Physical clock, ms; injectable for tests. */
  now?: () => number;
}

/** What one {@link SyncConflictProcessor.settleDue} did. */
export interface SettleResult {
  /** Lone reports applied as they were. */
  applied: number;
  /** Conflicts resolved automatically. */
  resolved: number;
  /** Conflicts handed to the manual queue. */
  escalated: number;
}

/** Events of a {@link SyncConflictProcessor}. */
export interface SyncConflictEvents {
  /** A window was settled; `record` is the audited conflict (absent for a lone report). */
  settled: [
    entity: Omit<OpenEntity, 'anchorMs'>,
    record: ConflictRecord | undefined,
    window: { reports: number; anchorMs: number; dueAtMs: number },
  ];
  error: [error: unknown];
}

/**
 * Settle competing stock and order reports by source priority and business rules.
 *
 * @example
 * ```ts
 * const conflicts = new SyncConflictProcessor(store, commerce.readModels, { settleMs: 500 });
 * await conflicts.start();
 * await store.append(inventoryStream('c1', 'p1'), [stockReportEvent({ creatorId: 'c1', productId: 'p1',
 *   quantity: 8, source: 'tiktok_webhook', sourceId: 'shop', reportedAt: new Date().toISOString() })]);
 * ```
 */
export class SyncConflictProcessor extends EventEmitter<SyncConflictEvents> {
  readonly processor: Processor;
  readonly resolver: ConflictResolver;
  readonly staging: ContenderStaging;
  readonly #store: EventStore;
  readonly #readModels: ReadModelSet;
  readonly #settleMs: number;
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #concurrency: number;
  readonly #index = new OpenEntityIndex();
  #indexLoadedAt = -Infinity;
  #notedDuringReload: StagedContender[] | null = null;
  #timer: NodeJS.Timeout | null = null;
  #settling: Promise<SettleResult> | null = null;

  constructor(store: EventStore, readModels: ReadModelSet, options: SyncConflictOptions = {}) {
    super();
    for (const [name, value] of [
      ['settleMs', options.settleMs],
      ['tickMs', options.tickMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0))
        throw new InvalidArgumentError(`${name} must be a finite number >= 0, got ${String(value)}`);
    }
    if (
      options.concurrency !== undefined &&
      !(Number.isInteger(options.concurrency) && options.concurrency >= 1)
    )
      throw new InvalidArgumentError(
        `concurrency must be an integer >= 1, got ${String(options.concurrency)}`,
      );
    this.#store = store;
    this.#readModels = readModels;
    this.#settleMs = options.settleMs ?? 1_000;
    this.#tickMs = options.tickMs ?? 250;
    this.#now = options.now ?? Date.now;
    this.#concurrency = options.concurrency ?? 8;
    registerSyncReportEvents(store);
    this.resolver = new ConflictResolver({
      store,
      now: this.#now,
      config: withRefundsOnOrders(commerceConflictConfig(options.config)),
    });
    this.staging = store.sql ? new SqlContenderStaging(store.sql, store.schema) : memoryStagingOf(store);
    this.processor = createProcessor({
      store,
      name: RESOLVE_SYNC_CONFLICTS,
      delivery: 'at-least-once',
      eventTypes: [STOCK_REPORTED_EVENT, ORDER_REPORTED_EVENT, CONFLICT_RESOLVED_EVENT],
      handleBatch: (events) => this.#handle(events),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.lease === undefined ? {} : { lease: options.lease }),
    });
    this.processor.on('error', (err: unknown) => this.emit('error', err));
  }

  /** Create the staging table, the conflict audit and the processing tables. */
  async migrate(): Promise<void> {
    await this.staging.migrate();
    await this.resolver.migrate();
    await this.processor.migrate();
  }

  /** Migrate, start the processor and the settling timer. */
  async start(): Promise<void> {
    await this.migrate();
    await this.processor.start();
    const tick = () => {
      this.#timer = setTimeout(() => {
        void this.settleDue()
          .catch((err: unknown) => this.emit('error', err))
          .finally(() => {
            if (this.#timer !== null) tick();
          });
      }, this.#tickMs);
    };
    tick();
  }

  /** Stop the timer (after a settle in progress) and the processor. */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#settling?.catch(() => undefined);
    await this.processor.stop();
    this.resolver.close();
  }

  /** Resolve once the processor has staged every report in the log as it is now. */
  async whenCaughtUp(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.processor.whenCaughtUp(options);
  }

  /**
   * Settle every window closed by `nowMs` (default now): the scheduled tick
   * calls this; hosts may call it to settle at once (a manual trigger). One
   * settle runs at a time; only the lease holder settles (elsewhere this
   * returns zeros and changes nothing).
   */
  async settleDue(nowMs: number = this.#now()): Promise<SettleResult> {
    while (this.#settling) await this.#settling.catch(() => undefined);
    const run = this.#settleAll(nowMs);
    this.#settling = run;
    try {
      return await run;
    } finally {
      this.#settling = null;
    }
  }

  async #settleAll(nowMs: number): Promise<SettleResult> {
    const result: SettleResult = { applied: 0, resolved: 0, escalated: 0 };
    if (!this.processor.leaseHeld) return result;
    const config = this.resolver.engine.config;
    if (performance.now() - this.#indexLoadedAt >= INDEX_RELOAD_MS) {
      // Reports staged while the table is read may be missing from what it returns: noted again after.
      const during: StagedContender[] = [];
      this.#notedDuringReload = during;
      try {
        this.#index.reload(await this.staging.open());
        this.#index.note(during);
      } finally {
        this.#notedDuringReload = null;
      }
      this.#indexLoadedAt = performance.now();
    }
    const due = this.#index.due(
      (e) => e.anchorMs + windowFor(config, e.entityType) + this.#settleMs <= nowMs,
    );
    if (due.length === 0) return result;
    // The bases come from the read models: let them fold what was appended so far.
    await this.#readModels.whenCaughtUp();
    // Entities are independent: settle a few at once; one entity's windows go in time order.
    let next = 0;
    const worker = async () => {
      while (next < due.length) await this.#settleEntity(due[next++]!, nowMs, result);
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, due.length) }, worker));
    return result;
  }

  async #settleEntity(entity: OpenEntity, nowMs: number, result: SettleResult): Promise<void> {
    const windowMs = windowFor(this.resolver.engine.config, entity.entityType);
    let rows = await this.staging.load(entity);
    for (;;) {
      const window = dueWindow(rows, nowMs, windowMs, this.#settleMs);
      if (!window || window.length === 0) {
        this.#index.settled(entity, rows[0]?.atMs);
        return;
      }
      const record = await this.#settle(entity, window);
      if (!record) result.applied += 1;
      else if (record.status === 'pending') result.escalated += 1;
      else result.resolved += 1;
      await this.staging.remove(window.map((r) => r.eventId));
      const anchorMs = window[0]!.atMs;
      this.emit(
        'settled',
        { creatorId: entity.creatorId, entityType: entity.entityType, entityId: entity.entityId },
        record,
        { reports: window.length, anchorMs, dueAtMs: anchorMs + windowMs + this.#settleMs },
      );
      rows = rows.slice(window.length);
    }
  }

  // One window: a lone report is applied; a conflict is resolved (and audited) and its value applied.
  async #settle(entity: OpenEntity, window: readonly StagedContender[]): Promise<ConflictRecord | undefined> {
    const base = await this.#base(entity);
    if (window.length === 1) {
      const only = window[0]!;
      // A lone report is no conflict, but a shipped order still cannot be modified.
      const terminal = policyFor(this.resolver.engine.config, entity.entityType).terminal;
      const absorbed = terminal !== undefined && terminal.values.includes(String(base[terminal.field]));
      await this.#apply(entity, absorbed ? base : { ...base, ...only.contender.changes }, base, {
        key: `sync-report:${only.eventId}`,
        causationId: only.eventId,
      });
      return undefined;
    }
    const record = await this.resolver.resolve(
      {
        entityType: entity.entityType,
        entityId: entity.entityId,
        contenders: window.map((r) => r.contender),
        base,
      },
      { creatorId: entity.creatorId, tenantId: entity.creatorId },
    );
    const after = record.resolution.after;
    if (record.status !== 'pending' && after) {
      await this.#apply(entity, after, base, {
        key: `sync-conflict:${record.conflictId}`,
        causationId: record.events.outcome,
        conflictId: record.conflictId,
      });
    }
    return record;
  }

  /** The entity's state before the window, from the read models. */
  async #base(entity: Omit<OpenEntity, 'anchorMs'>): Promise<JsonObject> {
    const base: JsonObject = { creatorId: entity.creatorId };
    if (entity.entityType === 'inventory') {
      const row = await this.#readModels.find<InventoryLevelRow>('inventory_levels', {
        creator_id: entity.creatorId,
        product_id: entity.entityId,
      });
      if (row) base.quantity = Number(row.on_hand);
      return base;
    }
    const row = await this.#readModels.find<CommerceOrderRow>('commerce_orders', {
      creator_id: entity.creatorId,
      order_id: entity.entityId,
    });
    if (row) {
      base.status = row.status;
      if (row.amount !== null) base.totalAmount = Number(row.amount);
      base.refundedAmount = Number(row.refunded_amount);
    }
    return base;
  }

  async #apply(
    entity: Omit<OpenEntity, 'anchorMs'>,
    after: JsonObject,
    before: JsonObject,
    cause: { key: string; causationId: string; conflictId?: string },
  ): Promise<void> {
    const outcome = settledOutcome(
      entity.entityType,
      entity.creatorId,
      entity.entityId,
      after,
      before,
      cause.conflictId,
    );
    if (!outcome) return;
    await this.#store.append(outcome.streamId, [outcome.event], {
      aggregateType: outcome.aggregateType,
      idempotencyKey: cause.key,
      metadata: {
        source: SOURCE,
        causationId: cause.causationId,
        ...(cause.conflictId === undefined ? {} : { correlationId: cause.conflictId }),
      },
    });
  }

  async #handle(events: readonly StoredEvent[]): Promise<void> {
    const staged: StagedContender[] = [];
    for (const event of events) {
      if (event.type === CONFLICT_RESOLVED_EVENT) {
        if (staged.length > 0) {
          const batch = staged.splice(0);
          await this.staging.add(batch);
          this.#note(batch);
        }
        await this.#applyDecision(event.data as ConflictResolvedData);
      } else {
        staged.push(toStaged(event));
      }
    }
    await this.staging.add(staged);
    this.#note(staged);
  }

  #note(rows: readonly StagedContender[]): void {
    this.#index.note(rows);
    this.#notedDuringReload?.push(...rows);
  }

  // An admin's decision on an escalated stock or order conflict reaches the read models.
  async #applyDecision(data: ConflictResolvedData): Promise<void> {
    if (!data.manual || (data.entityType !== 'inventory' && data.entityType !== 'order')) return;
    const record = await this.resolver.get(data.conflictId);
    const creatorId = record?.resolution.before.creatorId;
    if (!record || typeof creatorId !== 'string') return; // not one of ours
    const entity = { creatorId, entityType: data.entityType as SettledEntityType, entityId: data.entityId };
    await this.#apply(entity, { ...record.resolution.before, ...data.set }, record.resolution.before, {
      key: `sync-conflict:${data.conflictId}:manual`,
      causationId: record.events.manual ?? record.events.outcome,
      conflictId: data.conflictId,
    });
  }
}

// Orders carry their refunds: a refund over the payment threshold ($500) in a conflict needs a person.
function withRefundsOnOrders(config: ConflictConfigInput): ConflictConfigInput {
  const order = config.entities?.order ?? {};
  return {
    ...config,
    entities: { ...config.entities, order: { paymentAmountField: 'refundedAmount', ...order } },
  };
}

// In memory the staging lives as long as the store, so a restarted processor finds its open windows.
const memoryStagings = new WeakMap<EventStore, MemoryContenderStaging>();
function memoryStagingOf(store: EventStore): MemoryContenderStaging {
  let staging = memoryStagings.get(store);
  if (!staging) memoryStagings.set(store, (staging = new MemoryContenderStaging()));
  return staging;
}
