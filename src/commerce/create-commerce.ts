/**
 * `createCommerce()`: the CreatorFlow domain wired on a store — the event
 * catalog, the read models (with their row-change feed), the inventory
 * handler, the order-fulfillment saga started by `order.received_from_tiktok`,
 * the order-cancellation saga started by a buyer's, seller's or TikTok's
 * `order.cancelled`, `syncInventoryLevels()` and, when asked, the analytics
 * updater.
 */
import { EventEmitter } from 'eventemitter3';
import type { Observable } from 'rxjs';
import { createAccessAudit, type AccessAuditStore } from '../access/access-audit.js';
import { authorizeWrite, isSystemPrincipal } from '../access/acting-principal.js';
import { auditedRead, requireRole } from '../access/audited-read.js';
import { frozenPrincipal } from '../access/principal.js';
import type { Authorization } from '../core/authorization.js';
import { compareCheckpoints } from '../core/checkpoint.js';
import { InvalidArgumentError } from '../core/errors.js';
import { policyFor } from '../conflicts/config.js';
import type { Row, RowChange } from '../core/row-change.js';
import { ProcessorWaitTimeoutError } from '../processing/errors.js';
import type { Processor } from '../processing/index.js';
import {
  createSagaRunner,
  createSagaTrigger,
  type SagaDefinition,
  type SagaRunner,
  type SagaState,
  type SagaTrigger,
} from '../sagas/index.js';
import type { RetryPolicyInput } from '../runtime/retry-policy.js';
import type { EventStore } from '../store/types.js';
import type { CommerceReader } from './commerce-reader.js';
import { ConflictQueue } from './conflicts/conflict-queue.js';
import { SyncConflictProcessor, type SyncConflictOptions } from './conflicts/sync-conflict-processor.js';
import { registerSyncReportEvents } from './conflicts/report-events.js';
import { registerCommerceEvents, type EventPayload } from './events/catalog.js';
import { AnalyticsUpdater, type CommerceAnalyticsOptions } from './forecasting/analytics-updater.js';
import {
  ORDER_CANCELLATION_SAGA,
  orderCancellationSaga,
  type OrderCancellationInput,
} from './fulfillment/order-cancellation-saga.js';
import { cleanVersionOf } from './fulfillment/cancellation-watch.js';
import { actorFromMetadata } from '../access/actor-check.js';
import { orderReportPolicy } from './fulfillment/payment-report.js';
import {
  ORDER_FULFILLMENT_SAGA,
  orderFulfillmentSaga,
  type OrderFulfillmentInput,
} from './fulfillment/order-fulfillment-saga.js';
import { createInventoryHandler } from './inventory/inventory-handler.js';
import { InventoryService } from './inventory/inventory-service.js';
import { stockGuard } from './inventory/stock-guard.js';
import { orderStream } from './inventory/streams.js';
import { InventorySyncTrigger, type InventorySyncOptions } from './inventory/inventory-sync-trigger.js';
import { syncInventoryLevels, type InventorySyncResult } from './inventory/sync-inventory-levels.js';
import { resolveHealthThresholds, type HealthThresholdOverrides } from './metrics/system-health.js';
import type { PaymentGateway } from './ports/payment-gateway.js';
import type { ShippingProvider } from './ports/shipping-provider.js';
import type { TikTokShopClient } from './ports/tiktok-shop-client.js';
import { commerceReadModelDefinitions, type CommerceTable } from './read-models/definitions.js';
import {
  resolveInventoryOptions,
  type InventoryOptions,
  type ResolvedInventoryOptions,
} from './read-models/inventory-options.js';
import { ReadModelSet, type ReadModelMode } from './read-models/read-model-set.js';
import { COMMERCE_TENANT_COLUMN, scopedRows, type CommerceReadOptions } from './read-models/scoped-rows.js';
import { COMMERCE_READ_ROLES, COMMERCE_WRITE_ROLES } from './roles.js';

/** The third parties the fulfillment and cancellation sagas call. */
export interface CommercePorts {
  payments: PaymentGateway;
  shipping: ShippingProvider;
  tiktok: TikTokShopClient;
}

/**
 * Options of {@link createCommerce}.
 *
 * @example
 * ```ts
 * const options: CommerceOptions = {
 *   store,
 *   ports: { payments: new FakePaymentGateway(), shipping: new FakeShippingProvider(), tiktok: new FakeTikTokShopClient() },
 *   readModels: 'async',
 *   inventory: { defaultThreshold: 5, reorder: { leadTimeHours: 48 } },
 *   conflicts: true,
 * };
 * const commerce = createCommerce(options);
 * ```
 */
export interface CommerceOptions {
  /** The event store (PostgreSQL, PGlite or in memory); migrated by `start()`. */
  store: EventStore;
  /** Payment, shipping and TikTok Shop; omit to run without the fulfillment and cancellation sagas. */
  ports?: CommercePorts;
  /** `'inline'` (default): read models change in the append's transaction, so a
   * critical health status is visible the moment its event commits. */
  readModels?: ReadModelMode;
  /** Low-stock threshold, velocity, stock-out, anomaly and reorder settings. */
  inventory?: InventoryOptions;
  /** Health thresholds per component and measurement, merged over the defaults. */
  healthThresholds?: HealthThresholdOverrides;
  /** A saga runner to use (default: one on the store's database and schema). */
  sagaRunner?: SagaRunner;
  /** Retry policy of saga steps (default: the runner's). */
  stepRetry?: RetryPolicyInput;
  /** Backstop poll of the handler, the saga trigger and async read models when no wake-up arrives, ms. Default 1000. */
  pollIntervalMs?: number;
  /**
   * Settle competing stock and order reports by source priority (`resolve-sync-conflicts`,
   * see docs/conflicts.md): `true` or its options. Default off.
   */
  conflicts?: boolean | SyncConflictOptions;
  /**
   * The sagas report what the payment processor captured and refunded as
   * `order.state_reported` (source `payment_processor`), in the append of
   * `order.payment_processed` / `order.refunded`: contenders of
   * `resolve-sync-conflicts` (docs/conflicts.md, "Amounts from the payment
   * processor"). Set it with `conflicts`, as the receivers'
   * `reportOrderState` (`commerceReceivers`). Only what a rule could act on is
   * reported: a capture that differs from the order's total or is over a
   * limit, a refund over a limit or of an order over one. Default false: the
   * sagas write exactly what they wrote without it.
   */
  reportOrderState?: boolean;
  /**
   * Where admins' reads across creators are recorded (see docs/commerce.md,
   * "Tenants and roles"). Default: the `access_audit` table on the store's
   * database, in memory on the in-memory store.
   */
  accessAudit?: AccessAuditStore;
  /**
   * Keep `product_trend_analysis`, `creator_performance_analytics` and
   * `business_intelligence_insights` current (see docs/forecasting.md): `true`
   * (every 5 minutes between `start()` and `stop()`) or its options. Default off.
   */
  analytics?: boolean | CommerceAnalyticsOptions;
  /**
   * Run `sync-inventory-levels` on inventory events too (debounced per
   * product, one host at a time), reading TikTok Shop's stock through the
   * port as scheduled-sync contenders (see docs/commerce.md). Default off.
   */
  inventorySync?: InventorySyncOptions;
}

/** Events of a {@link Commerce}. */
export interface CommerceEventMap {
  /** A background failure (processor, saga, trigger). */
  error: [error: unknown];
}

/**
 * Wire the commerce domain on a store.
 *
 * @example
 * ```ts
 * const commerce = createCommerce({
 *   store,
 *   ports: { payments: new FakePaymentGateway(), shipping: new FakeShippingProvider(), tiktok: new FakeTikTokShopClient() },
 * });
 * commerce.changesOf('system_health_metrics').subscribe((c) => console.log(c.newRow));
 * await commerce.start();
 * await commerce.syncInventoryLevels('creator-1', { userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] });
 * ```
 */
export function createCommerce(options: CommerceOptions): Commerce {
  return new Commerce(options);
}

/** See {@link createCommerce}. */
export class Commerce extends EventEmitter<CommerceEventMap> {
  readonly store: EventStore;
  readonly readModels: ReadModelSet;
  readonly inventory: InventoryService;
  /** The inventory handler: an at-least-once processor of the log (lease, retries, dead letters). */
  readonly inventoryHandler: Processor;
  /** The saga runner (absent without ports). */
  readonly sagaRunner: SagaRunner | undefined;
  /** The fulfillment saga definition (absent without ports). */
  readonly fulfillment: SagaDefinition<OrderFulfillmentInput> | undefined;
  /** The cancellation saga definition (absent without ports). */
  readonly cancellation: SagaDefinition<OrderCancellationInput> | undefined;
  /** `resolve-sync-conflicts` (absent unless `conflicts` is set). */
  readonly conflicts: SyncConflictProcessor | undefined;
  /** The conflict audit, manual queue and reports read per creator (absent unless `conflicts` is set). */
  readonly conflictQueue: ConflictQueue | undefined;
  /** Admins' reads across creators. */
  readonly accessAudit: AccessAuditStore;
  /** `sync-inventory-levels` on inventory events (absent unless `inventorySync` is set). */
  readonly inventorySync: InventorySyncTrigger | undefined;
  /** The analytics updater: `runOnce()` on demand (absent unless `analytics` is set). */
  readonly analytics: AnalyticsUpdater | undefined;
  readonly #scheduleAnalytics: boolean;
  readonly #trigger: SagaTrigger | undefined;
  readonly #cancelTrigger: SagaTrigger | undefined;
  readonly #ownRunner: boolean;
  readonly #inventoryOptions: ResolvedInventoryOptions;
  #started = false;

  constructor(options: CommerceOptions) {
    super();
    this.store = options.store;
    registerCommerceEvents(this.store);
    this.#inventoryOptions = resolveInventoryOptions(options.inventory);
    const thresholds = resolveHealthThresholds(options.healthThresholds);
    this.readModels = new ReadModelSet({
      store: this.store,
      name: 'commerce_read_models',
      definitions: commerceReadModelDefinitions(this.#inventoryOptions, thresholds),
      mode: options.readModels ?? 'inline',
      // Allocations never take available stock below zero; in async mode the
      // guard judges an inline copy of inventory_levels.
      guards: [stockGuard],
      guardTables: ['inventory_levels'],
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    });
    this.readModels.on('error', (err) => this.emit('error', err));
    this.inventory = new InventoryService({ store: this.store, readModels: this.readModels });
    const poll = options.pollIntervalMs ?? 1000;
    this.inventoryHandler = createInventoryHandler({
      store: this.store,
      readModels: this.readModels,
      inventory: this.inventory,
      options: this.#inventoryOptions,
      // With ports the cancellation saga releases a cancelled order's stock (and can undo it).
      releaseOnCancel: options.ports === undefined,
      reader: { pollIntervalMs: poll },
    });
    // A dead-lettered event arrives here too, as a ProcessorDeadLetteredError.
    this.inventoryHandler.on('error', (err: unknown) => this.emit('error', err));
    if (options.conflicts) {
      this.conflicts = new SyncConflictProcessor(this.store, this.readModels, {
        ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        ...(options.conflicts === true ? {} : options.conflicts),
      });
      this.conflicts.on('error', (err) => this.emit('error', err));
    }
    if (options.inventorySync) {
      this.inventorySync = new InventorySyncTrigger(
        {
          store: this.store,
          readModels: this.readModels,
          reportContenders: this.conflicts !== undefined,
        },
        {
          ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
          ...options.inventorySync,
        },
      );
      this.inventorySync.on('error', (err) => this.emit('error', err));
    }
    this.accessAudit =
      options.accessAudit ?? createAccessAudit({ sql: this.store.sql, schema: this.store.schema });
    this.conflictQueue =
      this.conflicts && new ConflictQueue(this.conflicts.unscopedResolver, this.accessAudit);
    const { schedule = true, ...analytics } = options.analytics === true ? {} : options.analytics || {};
    this.#scheduleAnalytics = schedule;
    if (options.analytics) {
      this.analytics = new AnalyticsUpdater({ store: this.store, readModels: this.readModels, ...analytics });
      this.analytics.on('error', (err) => this.emit('error', err));
    }
    this.#ownRunner = options.ports !== undefined && options.sagaRunner === undefined;
    if (options.ports) {
      const runner =
        options.sagaRunner ??
        createSagaRunner({
          ...(this.store.sql ? { sql: this.store.sql, schema: this.store.schema } : {}),
          pollIntervalMs: poll,
          ...(options.stepRetry ? { retry: options.stepRetry, compensationRetry: options.stepRetry } : {}),
        });
      runner.on('error', (err) => this.emit('error', err));
      this.sagaRunner = runner;
      const reportOrderState = options.reportOrderState === true;
      // A strict store needs the report's schema even before (or without) the processor.
      if (reportOrderState) registerSyncReportEvents(this.store);
      // The sagas report only the figures a rule of the policy the processor settles under could act on.
      const reporting = reportOrderState
        ? {
            reportOrderState,
            reportPolicy: this.conflicts
              ? policyFor(this.conflicts.unscopedResolver.engine.config, 'order')
              : orderReportPolicy(),
          }
        : {};
      this.fulfillment = orderFulfillmentSaga({
        store: this.store,
        inventory: this.inventory,
        ...options.ports,
        ...reporting,
      });
      this.#trigger = createSagaTrigger({
        name: `${ORDER_FULFILLMENT_SAGA}_trigger`,
        runner,
        events: this.store,
        definition: this.fulfillment,
        pollIntervalMs: poll,
        eventTypes: ['order.received_from_tiktok'],
        map: (event, context) => {
          if (event.type !== 'order.received_from_tiktok') return null;
          const d = event.data as EventPayload<'order.received_from_tiktok'>;
          // The page held the order's whole stream so far: the saga need not read it to validate.
          // As far as the page holds it, so the events appended with this one (the intake's
          // order.state_reported after it) do not make validate_order's append conflict.
          const own = event.aggregateId === orderStream(d.creatorId, d.orderId);
          const cleanThrough = own ? cleanVersionOf(context.streamInPage()) : undefined;
          return {
            input: { ...fulfillmentInput(d, cleanThrough), ...actorFromMetadata(event.metadata) },
            sagaId: fulfillmentSagaId(d.creatorId, d.orderId),
          };
        },
      });
      this.cancellation = orderCancellationSaga({
        store: this.store,
        inventory: this.inventory,
        payments: options.ports.payments,
        ...reporting,
      });
      this.#cancelTrigger = createSagaTrigger({
        name: `${ORDER_CANCELLATION_SAGA}_trigger`,
        runner,
        events: this.store,
        definition: this.cancellation,
        pollIntervalMs: poll,
        eventTypes: ['order.cancelled'],
        map: (event) => {
          if (event.type !== 'order.cancelled') return null;
          const d = event.data as EventPayload<'order.cancelled'>;
          // The fulfillment saga's own cancellation (mark_order_failed) has compensated already.
          if (d.cancelledBy === 'system') return null;
          return {
            // Whoever cancelled (an admin's route, a service) is who the refund acts as.
            input: {
              creatorId: d.creatorId,
              orderId: d.orderId,
              cancelledBy: d.cancelledBy,
              ...actorFromMetadata(event.metadata),
            },
            sagaId: cancellationSagaId(d.creatorId, d.orderId),
          };
        },
      });
    }
  }

  /** Every read-model row change (the realtime feed). */
  get changes(): Observable<RowChange> {
    return this.readModels.changes;
  }

  /**
   * Read-model tables whose `changes` missed a committed transaction (its
   * answer was lost and recovered): whoever follows `changes` reloads them.
   * Give it to the engine beside `changes` (`EngineReadModel.changesLost`),
   * which reloads the realtime channels they feed.
   *
   * @example
   * ```ts
   * commerce.changesLost.subscribe((tables) => tables.forEach((t) => hub.invalidate(t)));
   * ```
   */
  get changesLost(): Observable<readonly string[]> {
    return this.readModels.changesLost;
  }

  /** Row changes of one read model (= realtime channel). */
  changesOf(table: CommerceTable): Observable<RowChange> {
    return this.readModels.changesOf(table);
  }

  /**
   * Migrate everything, then start the read models, the handler, the saga
   * worker and its trigger, and the analytics schedule.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.store.migrate();
    await this.accessAudit.migrate();
    await this.readModels.start();
    await this.inventoryHandler.start();
    await this.conflicts?.start();
    await this.inventorySync?.start();
    if (this.sagaRunner) {
      await this.sagaRunner.migrate();
      this.sagaRunner.startWorker();
      await this.#trigger!.start();
      await this.#cancelTrigger!.start();
    }
    if (this.#scheduleAnalytics) this.analytics?.start();
    this.#started = true;
  }

  /** Stop the analytics, the trigger, the saga worker (when created here), the handler and the read models. */
  async stop(): Promise<void> {
    await this.analytics?.stop();
    await this.#trigger?.stop();
    await this.#cancelTrigger?.stop();
    if (this.#ownRunner) await this.sagaRunner?.stop();
    await this.inventorySync?.stop();
    await this.conflicts?.stop();
    await this.inventoryHandler.stop();
    await this.readModels.stop();
    this.#started = false;
  }

  /**
   * Recompute stock, velocity and alerts of every product of a creator, as
   * `principal`: checked as reads are (role creator, service or admin; without
   * admin only the caller's own creators; `MissingPrincipalError`,
   * `InvalidPrincipalError` or `AccessDeniedError` and nothing is written),
   * an admin syncing a creator not their own access-audited first. The run's
   * events carry the caller as metadata `actor` (`{ kind, id }`) and `userId`.
   * Jobs pass a `systemPrincipal(name)`.
   *
   * @example
   * ```ts
   * const auth = { userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] };
   * const { products, lowStock, durationMs } = await commerce.syncInventoryLevels('creator-1', auth);
   * ```
   */
  async syncInventoryLevels(
    creatorId: string,
    principal: Authorization,
    now?: Date,
  ): Promise<InventorySyncResult> {
    if (typeof creatorId !== 'string' || creatorId === '')
      throw new InvalidArgumentError('syncInventoryLevels needs a creator id');
    const actor = await authorizeWrite({
      audit: this.accessAudit,
      auth: principal,
      roles: COMMERCE_WRITE_ROLES,
      action: 'commerce.sync_inventory',
      resource: 'inventory_levels',
      tenantId: creatorId,
    });
    return syncInventoryLevels({
      store: this.store,
      readModels: this.readModels,
      options: this.#inventoryOptions,
      creatorId,
      actor,
      ...(now ? { now } : {}),
    });
  }

  /**
   * Rows of a read model the caller may see, sorted by key: their creators'
   * rows (an admin: every creator's, recorded in the access audit). Needs the
   * role creator, service or admin (`AccessDeniedError` otherwise) and a
   * well-formed principal (`MissingPrincipalError` / `InvalidPrincipalError`).
   * `as(auth).rows(table, options)` is the same read bound to the caller.
   *
   * @example
   * ```ts
   * const auth = { userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] };
   * const alerts = await commerce.rows('inventory_alerts', auth, { where: { status: 'active' } });
   * ```
   */
  async rows<R extends Row = Row>(
    table: CommerceTable,
    auth: Authorization,
    options: CommerceReadOptions = {},
  ): Promise<R[]> {
    requireRole(auth, COMMERCE_READ_ROLES, `Reading ${table}`);
    const { tenantIds, ...filter } = options;
    return auditedRead(
      { audit: this.accessAudit, auth, action: 'commerce.rows', resource: table, tenantIds },
      async (scope) => (await scopedRows(this.readModels, table, scope, filter)) as R[],
      (rows) => rows.length,
    );
  }

  /**
   * One row by key, or null, when the caller may see it (a row of another
   * creator is null, as if absent; an admin's read of it is access-audited).
   *
   * @example
   * ```ts
   * const level = await commerce.find('inventory_levels', { creator_id: 'creator-1', product_id: 'p1' }, auth);
   * ```
   */
  async find<R extends Row = Row>(table: CommerceTable, key: Row, auth: Authorization): Promise<R | null> {
    requireRole(auth, COMMERCE_READ_ROLES, `Reading ${table}`);
    const creator = key[COMMERCE_TENANT_COLUMN];
    return auditedRead(
      {
        audit: this.accessAudit,
        auth,
        action: 'commerce.find',
        resource: table,
        tenantIds: typeof creator === 'string' ? [creator] : undefined,
      },
      async (scope) => {
        const row = await this.readModels.unscopedFind<R>(table, key);
        if (!row) return null;
        const tenant = row[COMMERCE_TENANT_COLUMN];
        return scope.tenantIds === null || scope.tenantIds.includes(String(tenant)) ? row : null;
      },
      (row) => (row ? 1 : 0),
    );
  }

  /**
   * Every read of this commerce bound to one caller: the principal is checked
   * now (`MissingPrincipalError` without one, `InvalidPrincipalError` when
   * malformed) and frozen, then each read checks the role, scopes by creator
   * and access-audits an admin reaching beyond their own creators, exactly as
   * `rows`, `find` and `conflictQueue` do. Hand this, not the commerce, to
   * request handlers.
   *
   * @example
   * ```ts
   * const reader = commerce.as({ userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] });
   * const levels = await reader.rows('inventory_levels', { where: { product_id: 'p1' } });
   * ```
   */
  as(principal: Authorization): CommerceReader {
    // A system principal is frozen already, and a copy would not be one.
    const auth = isSystemPrincipal(principal) ? principal : frozenPrincipal(principal, 'commerce.as');
    return Object.freeze({
      principal: auth,
      rows: <R extends Row = Row>(table: CommerceTable, options?: CommerceReadOptions) =>
        this.rows<R>(table, auth, options),
      find: <R extends Row = Row>(table: CommerceTable, key: Row) => this.find<R>(table, key, auth),
      conflicts: this.conflictQueue?.as(auth),
      syncInventoryLevels: (creatorId: string, now?: Date) => this.syncInventoryLevels(creatorId, auth, now),
    });
  }

  /** Wait for the fulfillment saga of an order to finish. */
  async waitForFulfillment(creatorId: string, orderId: string, timeoutMs = 30_000): Promise<SagaState> {
    if (!this.sagaRunner || !this.#trigger)
      throw new InvalidArgumentError('createCommerce() was given no ports: no fulfillment saga');
    await this.#trigger.whenCaughtUp();
    return this.sagaRunner.waitFor(fulfillmentSagaId(creatorId, orderId), { timeoutMs });
  }

  /** Wait for the cancellation saga of an order (started by its `order.cancelled`) to finish. */
  async waitForCancellation(creatorId: string, orderId: string, timeoutMs = 30_000): Promise<SagaState> {
    if (!this.sagaRunner || !this.#cancelTrigger)
      throw new InvalidArgumentError('createCommerce() was given no ports: no cancellation saga');
    await this.#cancelTrigger.whenCaughtUp();
    return this.sagaRunner.waitFor(cancellationSagaId(creatorId, orderId), { timeoutMs });
  }

  /**
   * Resolve once the triggers, the handler and the read models have read the
   * log, including what they appended while catching up: the inventory
   * handler's alerts and the conflict processor's outcomes are events the read
   * models fold, so passes repeat until one leaves the log where it found it.
   *
   * @throws ProcessorWaitTimeoutError (`PROCESSOR_WAIT_TIMEOUT`) when the log
   * has not come to rest within `timeoutMs` (a steady stream of appends).
   */
  async whenIdle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let head = await this.store.committedCheckpoint();
    for (;;) {
      const left = Math.max(1, deadline - Date.now());
      await this.#trigger?.whenCaughtUp();
      await this.#cancelTrigger?.whenCaughtUp();
      await this.readModels.whenCaughtUp({ timeoutMs: left });
      await this.inventoryHandler.whenCaughtUp({ timeoutMs: left });
      await this.conflicts?.whenCaughtUp({ timeoutMs: left });
      await this.inventorySync?.whenCaughtUp({ timeoutMs: left });
      const now = await this.store.committedCheckpoint();
      if (compareCheckpoints(now, head) <= 0) return;
      if (Date.now() >= deadline) throw new ProcessorWaitTimeoutError('commerce', now, timeoutMs, 'Commerce');
      head = now;
    }
  }
}

/** The saga id of an order's fulfillment (one per order, however often TikTok reports it). */
export function fulfillmentSagaId(creatorId: string, orderId: string): string {
  return `order-fulfillment:${creatorId}:${orderId}`;
}

/**
 * The saga id of an order's cancellation (one per order).
 *
 * @example
 * ```ts
 * await commerce.sagaRunner!.waitFor(cancellationSagaId('c1', 'o1'));
 * ```
 */
export function cancellationSagaId(creatorId: string, orderId: string): string {
  return `order-cancellation:${creatorId}:${orderId}`;
}

function fulfillmentInput(
  d: EventPayload<'order.received_from_tiktok'>,
  cleanThrough: number | undefined,
): OrderFulfillmentInput {
  return {
    creatorId: d.creatorId,
    shopId: d.shopId,
    orderId: d.orderId,
    ...(d.lineItems
      ? { lineItems: d.lineItems.map((l) => ({ productId: l.productId, quantity: l.quantity })) }
      : {}),
    ...(d.totalAmount === undefined ? {} : { totalAmount: d.totalAmount }),
    ...(d.currency === undefined ? {} : { currency: d.currency }),
    ...(cleanThrough === undefined ? {} : { cleanThrough }),
  };
}
