/**
 * `syncInventoryLevels(creatorId)`: recompute stock, velocity, stock-out,
 * anomalies and reorder suggestions of every product of a creator as of now,
 * raise the alerts that are due, and record the run (`sync_operations`,
 * `system_health_metrics`) — the specification's `sync-inventory-levels`
 * function. The recomputation is folded from the run's event by the
 * `inventory_levels` projection, so a rebuild from the log reproduces it.
 */
import { actorMetadata, type ActorRef } from '../../access/acting-principal.js';
import { assertActor } from '../../access/actor-check.js';
import type { EventStore, NewEvent } from '../../store/types.js';
import { commerceEvent } from '../events/catalog.js';
import { deriveInventory, type DerivedInventory } from '../read-models/inventory-derive.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ResolvedInventoryOptions } from '../read-models/inventory-options.js';
import { SYNC_INVENTORY_OPERATION } from '../read-models/inventory-sync-run.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import { COMMERCE_TENANT_COLUMN } from '../read-models/scoped-rows.js';
import { SYNC_OPERATION_METADATA } from '../read-models/sync-operations.js';
import { stockAlertEvents } from './stock-alerts.js';
import { inventorySyncStream } from './streams.js';

/**
 * The columns a sync run recomputes (as of its instant, when the projection
 * folds its event); facts such as on-hand and reserved it never changes.
 */
export const DERIVED_INVENTORY_COLUMNS = [
  'velocity_per_hour',
  'recent_velocity_per_hour',
  'velocity_trend',
  'velocity_trend_pct',
  'stockout_hours',
  'stockout_hours_low',
  'stockout_hours_high',
  'anomaly',
  'anomaly_ratio',
  'reorder_point',
  'suggested_reorder_quantity',
  'low_stock',
  'reorder_due',
  'computed_at',
] as const satisfies readonly (keyof DerivedInventory)[];

/** What a sync did. */
export interface InventorySyncResult {
  creatorId: string;
  products: number;
  /** Products at or below their threshold. */
  lowStock: number;
  /** Products selling unusually fast or slow. */
  anomalies: number;
  lowStockAlertsRaised: number;
  reordersTriggered: number;
  durationMs: number;
  /**
   * Where the time went, ms: reading rows, computing, appending the alerts and
   * the run's event (inline read models fold it there), waiting for async read
   * models to fold it.
   */
  phases: { loadMs: number; computeMs: number; appendMs: number; writeMs: number };
}

/**
 * Options of {@link syncInventoryLevels}.
 *
 * @example
 * ```ts
 * const result = await syncInventoryLevels({
 *   store, readModels, options: resolveInventoryOptions(), creatorId: 'c1', now: new Date('2026-12-01T00:00:00Z'),
 *   actor: systemActor('nightly-sync'),
 * });
 * ```
 */
export interface SyncInventoryLevelsOptions {
  store: EventStore;
  readModels: ReadModelSet;
  options: ResolvedInventoryOptions;
  creatorId: string;
  /** The instant to compute as of. Default now. */
  now?: Date;
  /**
   * Who runs it, recorded in the run's events' metadata (`actor`, `userId`).
   * Required: a missing one throws `PRINCIPAL_MISSING`, a malformed or
   * forged one `PRINCIPAL_INVALID`, before anything is read or written. This
   * function checks no principal's rights: `commerce.syncInventoryLevels(creatorId,
   * principal)` checks the caller first and passes its actor.
   */
  actor: ActorRef;
}

/**
 * Recompute every product of a creator. One read of the creator's rows to
 * find the alerts that are due, then one append: those alerts plus an
 * `inventory_sync` health check naming the operation, checked at `now`. The
 * `inventory_levels` projection folds that event by recomputing the derived
 * columns of every product of the creator as of `now`, and the alert rows
 * follow (e.g. a decayed demand spike resolves its alert). Inline, the rows
 * are recomputed when the append returns; async, this waits until the
 * processor folded the run.
 *
 * @example
 * ```ts
 * const result = await syncInventoryLevels({ store, readModels, options, creatorId: 'c1', actor: systemActor('nightly-sync') });
 * console.log(result.products, result.lowStock, result.durationMs);
 * ```
 */
export async function syncInventoryLevels(input: SyncInventoryLevelsOptions): Promise<InventorySyncResult> {
  assertActor(input.actor, 'syncInventoryLevels');
  const started = performance.now();
  const { store, readModels, options, creatorId } = input;
  const now = input.now ?? new Date();
  await readModels.whenCaughtUp();
  const rows = await loadCreatorLevels(readModels, creatorId);
  const loaded = performance.now();

  // What the run will find, to raise the alerts that are due; the rows are
  // recomputed by the projection when it folds the run's event.
  const alerts: NewEvent[] = [];
  let lowStock = 0;
  let anomalies = 0;
  for (const row of rows) {
    const derived = deriveInventory(row, now.getTime(), options);
    alerts.push(...stockAlertEvents({ ...row, ...derived }, options));
    if (derived.low_stock) lowStock += 1;
    if (derived.anomaly !== null) anomalies += 1;
  }
  const lowStockAlertsRaised = alerts.filter(isLowStockEvent).length;
  const reordersTriggered = alerts.length - lowStockAlertsRaised;
  const computed = performance.now();
  const computeMs = computed - started;

  const health = commerceEvent(
    'system.health_check_completed',
    {
      component: 'inventory_sync',
      status: 'nominal',
      creatorId,
      checkedAt: now.toISOString(),
      measurements: {
        items: rows.length,
        low_stock_products: lowStock,
        velocity_anomalies: anomalies,
        duration_ms: Math.round(computeMs * 100) / 100,
      },
    },
    { metadata: { [SYNC_OPERATION_METADATA]: SYNC_INVENTORY_OPERATION } },
  );
  await store.append(inventorySyncStream(creatorId), [...alerts, health], {
    aggregateType: 'inventory_sync',
    metadata: { source: SYNC_INVENTORY_OPERATION, ...actorMetadata(input.actor) },
  });
  const appendedAt = performance.now();
  await readModels.whenCaughtUp();
  const finished = performance.now();
  return {
    creatorId,
    products: rows.length,
    lowStock,
    anomalies,
    lowStockAlertsRaised,
    reordersTriggered,
    durationMs: finished - started,
    phases: {
      loadMs: loaded - started,
      computeMs: computed - loaded,
      appendMs: appendedAt - computed,
      writeMs: finished - appendedAt,
    },
  };
}

function isLowStockEvent(event: NewEvent): boolean {
  return event.type === 'inventory.low_stock_detected';
}

/**
 * The creator's rows, sorted by product, through the read-model set's port:
 * the same read on memory, PGlite and PostgreSQL (on SQL the creator is in
 * the WHERE clause).
 */
function loadCreatorLevels(readModels: ReadModelSet, creatorId: string): Promise<InventoryLevelRow[]> {
  return readModels.select<InventoryLevelRow>('inventory_levels', {
    tenantColumn: COMMERCE_TENANT_COLUMN,
    tenantIds: [creatorId],
  });
}
