/**
 * `inventory_levels`: one row per creator and product: stock on hand,
 * reserved and available, the recent sales history, and what follows from it
 * (velocity with trend, time to stock-out with a confidence interval, velocity
 * anomalies, reorder suggestion, low-stock state).
 */
import type { Row } from '../../core/row-change.js';
import {
  defineProjection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import type { EventPayload } from '../events/catalog.js';
import {
  emptySalesHistory,
  parseSalesHistory,
  recordSale,
  type SalesHistory,
} from '../metrics/sales-history.js';
import { deriveInventory, type DerivedInventory } from './inventory-derive.js';
import type { ResolvedInventoryOptions } from './inventory-options.js';
import { inventorySyncRunOf } from './inventory-sync-run.js';
import { eventTime, toNumber } from './row-values.js';

/** An `inventory_levels` row. */
export interface InventoryLevelRow extends Row, DerivedInventory {
  creator_id: string;
  product_id: string;
  sku: string | null;
  on_hand: number;
  reserved: number;
  /**
   * on_hand − reserved. `allocate()` never takes it below zero; a stock update
   * reporting fewer units than are reserved does.
   */
  available: number;
  threshold: number;
  /** Hourly sales of the last 48 hours ({@link SalesHistory}). */
  sales_history: SalesHistory;
  last_sale_at: string | Date | null;
  /** An `inventory.low_stock_detected` was raised and stock has not recovered since. */
  low_stock_alerted: boolean;
  /** An `inventory.reorder_triggered` was raised and the reorder is not due any more since. */
  reorder_alerted: boolean;
  updated_at: string | Date;
}

type Facts = Pick<
  InventoryLevelRow,
  | 'creator_id'
  | 'product_id'
  | 'sku'
  | 'on_hand'
  | 'reserved'
  | 'threshold'
  | 'sales_history'
  | 'last_sale_at'
  | 'low_stock_alerted'
  | 'reorder_alerted'
>;

function facts(
  current: InventoryLevelRow | null,
  key: Partial<InventoryLevelRow>,
  options: ResolvedInventoryOptions,
  atMs: number,
): Facts {
  return {
    creator_id: key.creator_id!,
    product_id: key.product_id!,
    sku: current?.sku ?? null,
    on_hand: toNumber(current?.on_hand),
    reserved: toNumber(current?.reserved),
    threshold: toNumber(current?.threshold, options.defaultThreshold),
    sales_history: current ? parseSalesHistory(current.sales_history, atMs) : emptySalesHistory(atMs),
    last_sale_at: current?.last_sale_at ?? null,
    low_stock_alerted: current?.low_stock_alerted ?? false,
    reorder_alerted: current?.reorder_alerted ?? false,
  };
}

/**
 * The whole row from its facts, as of `atMs`. Alert flags clear once the
 * condition they were raised for is gone, so the next crossing raises again.
 *
 * @example
 * ```ts
 * const row = buildInventoryRow(facts, Date.now(), options);
 * ```
 */
export function buildInventoryRow(
  f: Facts,
  atMs: number,
  options: ResolvedInventoryOptions,
): InventoryLevelRow {
  const available = f.on_hand - f.reserved;
  const derived = deriveInventory(
    { available, threshold: f.threshold, sales_history: f.sales_history },
    atMs,
    options,
  );
  return {
    ...f,
    available,
    ...derived,
    low_stock_alerted: f.low_stock_alerted && derived.low_stock,
    reorder_alerted: f.reorder_alerted && derived.reorder_due,
    updated_at: new Date(atMs).toISOString(),
  };
}

type InventoryEvent =
  | 'inventory.stock_updated'
  | 'inventory.reserved'
  | 'inventory.released'
  | 'inventory.low_stock_detected'
  | 'inventory.reorder_triggered';

function on<T extends InventoryEvent>(
  options: ResolvedInventoryOptions,
  change: (f: Facts, data: EventPayload<T>, atMs: number, event: StoredEvent) => Facts,
): ProjectionHandler<InventoryLevelRow> {
  return {
    key: (e) => {
      const d = e.data as { creatorId: string; productId: string };
      return { creator_id: d.creatorId, product_id: d.productId };
    },
    apply: (current, event, key) => {
      const atMs = event.occurredAt.getTime();
      const next = change(facts(current, key, options, atMs), event.data as EventPayload<T>, atMs, event);
      const row = buildInventoryRow(next, atMs, options);
      row.updated_at = eventTime(event);
      return row;
    },
  };
}

/**
 * A sync run (`syncInventoryLevels`) recomputes the derived columns of every
 * product of its creator as of the run's instant (its `checkedAt`), from the
 * row as folded so far. Facts, the sales history and `updated_at` (the last
 * fact's time) stay; alert flags clear, as on any event, when their
 * condition is gone.
 */
function syncRun(options: ResolvedInventoryOptions): ProjectionHandler<InventoryLevelRow> {
  return {
    key: () => null,
    scope: (event) => {
      const run = inventorySyncRunOf(event);
      return run ? { creator_id: run.creatorId } : null;
    },
    apply: (current, event) => {
      if (!current) return undefined;
      const derived = deriveInventory(current, inventorySyncRunOf(event)!.asOfMs, options);
      return {
        ...derived,
        low_stock_alerted: current.low_stock_alerted && derived.low_stock,
        reorder_alerted: current.reorder_alerted && derived.reorder_due,
      };
    },
  };
}

function sold(f: Facts, units: number, atMs: number): Facts {
  if (units <= 0) return f;
  return {
    ...f,
    sales_history: recordSale(f.sales_history, atMs, units),
    last_sale_at: new Date(atMs).toISOString(),
  };
}

/**
 * The `inventory_levels` projection. Sales are the units reserved for orders
 * plus stock decreases reported with reason `sale` (other channels). Derived
 * columns are as of the row's last event, or of the last sync run of its
 * creator folded after it (`computed_at`).
 *
 * @example
 * ```ts
 * const levels = inventoryLevelsProjection(resolveInventoryOptions({ defaultThreshold: 20 }));
 * ```
 */
export function inventoryLevelsProjection(
  options: ResolvedInventoryOptions,
): ProjectionDefinition<InventoryLevelRow> {
  return defineProjection<InventoryLevelRow>({
    name: 'inventory_levels',
    key: ['creator_id', 'product_id'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL,
        product_id text NOT NULL,
        sku text,
        on_hand integer NOT NULL,
        reserved integer NOT NULL,
        available integer NOT NULL,
        threshold integer NOT NULL,
        sales_history jsonb NOT NULL,
        last_sale_at timestamptz,
        velocity_per_hour double precision NOT NULL,
        recent_velocity_per_hour double precision NOT NULL,
        velocity_trend text NOT NULL,
        velocity_trend_pct double precision,
        stockout_hours double precision,
        stockout_hours_low double precision,
        stockout_hours_high double precision,
        anomaly text,
        anomaly_ratio double precision,
        reorder_point integer NOT NULL,
        suggested_reorder_quantity integer NOT NULL,
        low_stock boolean NOT NULL,
        reorder_due boolean NOT NULL,
        low_stock_alerted boolean NOT NULL,
        reorder_alerted boolean NOT NULL,
        computed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (creator_id, product_id)
      );
      CREATE INDEX :TABLE_NAME:_low ON :TABLE: (creator_id) WHERE low_stock;`,
    ],
    handlers: {
      'inventory.stock_updated': on<'inventory.stock_updated'>(options, (f, d, atMs) => {
        const previous = d.previousQuantity ?? f.on_hand;
        const next: Facts = {
          ...f,
          on_hand: d.quantity,
          sku: d.sku ?? f.sku,
          threshold: d.threshold ?? f.threshold,
        };
        return d.reason === 'sale' ? sold(next, previous - d.quantity, atMs) : next;
      }),
      'inventory.reserved': on<'inventory.reserved'>(options, (f, d, atMs) =>
        sold({ ...f, reserved: f.reserved + d.quantity }, d.quantity, atMs),
      ),
      'inventory.released': on<'inventory.released'>(options, (f, d) =>
        d.reason === 'returned'
          ? // Units a shipment took come back to the shelf; no reservation is involved.
            { ...f, on_hand: f.on_hand + d.quantity }
          : {
              ...f,
              reserved: Math.max(0, f.reserved - d.quantity),
              // Fulfilled units left the shelf; other releases return them to it.
              on_hand: d.reason === 'fulfilled' ? Math.max(0, f.on_hand - d.quantity) : f.on_hand,
            },
      ),
      'inventory.low_stock_detected': on<'inventory.low_stock_detected'>(options, (f) => ({
        ...f,
        low_stock_alerted: true,
      })),
      'inventory.reorder_triggered': on<'inventory.reorder_triggered'>(options, (f) => ({
        ...f,
        reorder_alerted: true,
      })),
      'system.health_check_completed': syncRun(options),
    },
  });
}
