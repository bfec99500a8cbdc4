/**
 * `syncInventoryLevels(creatorId)`: recompute stock, velocity, stock-out,
 * anomalies and reorder suggestions of every product of a creator as of now,
 * raise the alerts that are due, and record the run (`sync_operations`,
 * `system_health_metrics`) — the specification's `sync-inventory-levels`
 * function.
 */
import { randomUUID } from 'node:crypto';
import type { Row, RowChange } from '../../core/row-change.js';
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';
import type { EventStore, NewEvent, StoredEvent } from '../../store/types.js';
import { commerceEvent } from '../events/catalog.js';
import { deriveInventory, type DerivedInventory } from '../read-models/inventory-derive.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ResolvedInventoryOptions } from '../read-models/inventory-options.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import { SYNC_OPERATION_METADATA } from '../read-models/sync-operations.js';
import { stockAlertEvents } from './stock-alerts.js';

/** The operation name recorded in `sync_operations`. */
export const SYNC_INVENTORY_OPERATION = 'sync_inventory_levels';

/** The columns a sync rewrites (facts such as on-hand and reserved belong to the projection). */
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
  /** Where the time went, ms: reading rows, computing, appending alerts, writing rows and alerts. */
  phases: { loadMs: number; computeMs: number; appendMs: number; writeMs: number };
}

/**
 * Options of {@link syncInventoryLevels}.
 *
 * @example
 * ```ts
 * const result = await syncInventoryLevels({
 *   store, readModels, options: resolveInventoryOptions(), creatorId: 'c1', now: new Date('2026-12-01T00:00:00Z'),
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
}

/**
 * Recompute every product of a creator. One read of the creator's rows, one
 * append (the due alerts plus an `inventory_sync` health check naming the
 * operation), one batched update of the derived columns; alert rows follow
 * the recomputed levels (e.g. a decayed demand spike resolves its alert).
 *
 * @example
 * ```ts
 * const result = await syncInventoryLevels({ store, readModels, options, creatorId: 'c1' });
 * console.log(result.products, result.lowStock, result.durationMs);
 * ```
 */
export async function syncInventoryLevels(input: SyncInventoryLevelsOptions): Promise<InventorySyncResult> {
  const started = performance.now();
  const { store, readModels, options, creatorId } = input;
  const now = input.now ?? new Date();
  await readModels.whenCaughtUp();
  const rows = await loadCreatorLevels(store, readModels, creatorId);
  const loaded = performance.now();

  const recomputed: InventoryLevelRow[] = [];
  const alerts: NewEvent[] = [];
  let lowStock = 0;
  let anomalies = 0;
  for (const row of rows) {
    const derived = deriveInventory(row, now.getTime(), options);
    const next = { ...row, ...derived } as InventoryLevelRow;
    const due = stockAlertEvents(next, options);
    // The flags as they will be once this run's alerts are applied.
    next.low_stock_alerted = derived.low_stock && (row.low_stock_alerted || due.some(isLowStockEvent));
    next.reorder_alerted =
      derived.reorder_due && (row.reorder_alerted || due.some((e) => !isLowStockEvent(e)));
    recomputed.push(next);
    if (derived.low_stock) lowStock += 1;
    if (derived.anomaly !== null) anomalies += 1;
    alerts.push(...due);
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
  const appended = await store.append(`inventory-sync-${creatorId}`, [...alerts, health], {
    aggregateType: 'inventory_sync',
    metadata: { source: SYNC_INVENTORY_OPERATION },
  });

  const appendedAt = performance.now();
  // The recomputed columns, attributed to the health-check event of this run.
  const cause: StoredEvent = {
    id: randomUUID(),
    aggregateId: `inventory-sync-${creatorId}`,
    aggregateType: 'inventory_sync',
    type: 'inventory.levels_recomputed',
    data: null,
    metadata: { source: SYNC_INVENTORY_OPERATION },
    version: appended.nextVersion,
    globalPosition: appended.positions.at(-1)!,
    occurredAt: now,
    processedAt: now,
    checkpoint: appended.checkpoint,
  };
  const publish = await writeDerived(store, readModels, creatorId, rows, recomputed, cause);
  publish();
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

async function loadCreatorLevels(
  store: EventStore,
  readModels: ReadModelSet,
  creatorId: string,
): Promise<InventoryLevelRow[]> {
  if (!store.sql) {
    const all = await readModels.unscopedRows<InventoryLevelRow>('inventory_levels');
    return all.filter((r) => r.creator_id === creatorId);
  }
  const { rows } = await store.sql.query<InventoryLevelRow>(
    `SELECT * FROM ${table(store)} WHERE creator_id = $1 ORDER BY product_id`,
    [creatorId],
  );
  return rows;
}

function table(store: EventStore): string {
  return `${quoteIdent(store.schema)}.${quoteIdent('inventory_levels')}`;
}

/** Write the derived columns and fold the changes into the dependent read models; returns the publisher. */
async function writeDerived(
  store: EventStore,
  readModels: ReadModelSet,
  creatorId: string,
  before: readonly InventoryLevelRow[],
  after: readonly InventoryLevelRow[],
  cause: StoredEvent,
): Promise<() => void> {
  const changes: RowChange[] = after.map((newRow, i) => ({
    table: 'inventory_levels',
    key: { creator_id: newRow.creator_id, product_id: newRow.product_id },
    operation: 'UPDATE',
    newRow,
    oldRow: before[i]!,
    position: cause.globalPosition,
    checkpoint: cause.checkpoint,
  }));
  if (changes.length === 0) return () => undefined;
  const run = async (tx: SqlQueryable | undefined) => {
    if (tx) {
      await readModels.lockCreators(tx, [creatorId]);
      await updateDerivedColumns(tx, store, creatorId, after);
    } else {
      // In memory: merge the derived columns over the current rows (facts may have moved on).
      const t = readModels.table('inventory_levels');
      const current = await t.load(
        after.map((r) => ({ creator_id: r.creator_id, product_id: r.product_id })),
      );
      const upserts: Row[] = [];
      for (const row of after) {
        const key = JSON.stringify([row.creator_id, row.product_id]);
        const existing = current.get(key);
        if (!existing) continue;
        const merged: Row = { ...existing };
        for (const c of DERIVED_INVENTORY_COLUMNS) merged[c] = row[c];
        upserts.push(merged);
      }
      await t.write({ upserts, deletes: [] });
    }
    return readModels.applyDerived('inventory_levels', changes, cause, tx);
  };
  const more = store.sql ? await store.sql.transaction((tx) => run(tx)) : await run(undefined);
  return () => readModels.publish([...changes, ...more]);
}

/** SQL types of the derived columns, for the typed arrays of the update. */
const DERIVED_COLUMN_TYPES: Record<(typeof DERIVED_INVENTORY_COLUMNS)[number], string> = {
  velocity_per_hour: 'float8',
  recent_velocity_per_hour: 'float8',
  velocity_trend: 'text',
  velocity_trend_pct: 'float8',
  stockout_hours: 'float8',
  stockout_hours_low: 'float8',
  stockout_hours_high: 'float8',
  anomaly: 'text',
  anomaly_ratio: 'float8',
  reorder_point: 'int4',
  suggested_reorder_quantity: 'int4',
  low_stock: 'bool',
  reorder_due: 'bool',
  computed_at: 'timestamptz',
};

/** One UPDATE of the derived columns from one typed array per column (cheaper to parse than jsonb). */
async function updateDerivedColumns(
  tx: SqlQueryable,
  store: EventStore,
  creatorId: string,
  rows: readonly InventoryLevelRow[],
): Promise<void> {
  const t = table(store);
  const sets = DERIVED_INVENTORY_COLUMNS.map((c) => `${quoteIdent(c)} = u.${quoteIdent(c)}`).join(', ');
  const arrays = DERIVED_INVENTORY_COLUMNS.map((c, i) => `$${i + 3}::${DERIVED_COLUMN_TYPES[c]}[]`).join(
    ', ',
  );
  const names = ['product_id', ...DERIVED_INVENTORY_COLUMNS].map(quoteIdent).join(', ');
  await tx.query(
    `UPDATE ${t} AS t SET ${sets}
       FROM unnest($2::text[], ${arrays}) AS u(${names})
      WHERE t.creator_id = $1 AND t.product_id = u.product_id`,
    [
      creatorId,
      rows.map((r) => r.product_id),
      ...DERIVED_INVENTORY_COLUMNS.map((c) => rows.map((r) => r[c])),
    ],
  );
}
