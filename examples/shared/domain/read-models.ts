/**
 * The dashboard's read models as projections, one table per realtime channel
 * of `DEFAULT_CHANNELS` (order_metrics, inventory_alerts,
 * system_health_metrics). Interim: the host switches to the commerce module's
 * read models when they are available (see `docs/demo.md`).
 */
import { defineProjection, type ProjectionDefinition } from '../../../src/processing/index.js';
import type { ChannelDefinition } from '../../../src/realtime/index.js';
import type { StoredEvent } from '../../../src/store/index.js';

type Data = Record<string, unknown>;
const data = (e: StoredEvent): Data => e.data as Data;
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v ?? 0) || 0);
const creator = (e: StoredEvent) => ({ creator_id: str(data(e).creatorId) });
const day = (e: StoredEvent): string => e.occurredAt.toISOString().slice(0, 10);

/** A row of `order_metrics`. */
export interface OrderMetricsRow extends Record<string, unknown> {
  creator_id: string;
  active_orders: number;
  orders_today: number;
  day: string;
  orders_total: number;
  revenue_cents: number;
  fulfilled: number;
  failed: number;
  cancelled: number;
  delivered: number;
  automation_health: number;
  avg_processing_ms: number;
}

const zeroMetrics = (e: StoredEvent): OrderMetricsRow => ({
  creator_id: str(data(e).creatorId),
  active_orders: 0,
  orders_today: 0,
  day: day(e),
  orders_total: 0,
  revenue_cents: 0,
  fulfilled: 0,
  failed: 0,
  cancelled: 0,
  delivered: 0,
  automation_health: 100,
  avg_processing_ms: 0,
});

/** Order counters, revenue, automation health and processing time per creator. */
export const orderMetrics: ProjectionDefinition<OrderMetricsRow> = defineProjection<OrderMetricsRow>({
  name: 'order_metrics',
  key: ['creator_id'],
  migrations: [
    `CREATE TABLE :TABLE: (
       creator_id text PRIMARY KEY,
       active_orders integer NOT NULL, orders_today integer NOT NULL, day text NOT NULL,
       orders_total integer NOT NULL, revenue_cents double precision NOT NULL,
       fulfilled integer NOT NULL, failed integer NOT NULL, cancelled integer NOT NULL, delivered integer NOT NULL,
       automation_health double precision NOT NULL, avg_processing_ms double precision NOT NULL)`,
  ],
  handlers: {
    'order.received_from_tiktok': {
      key: creator,
      apply: (row, e) => {
        const r = row ?? zeroMetrics(e);
        const sameDay = r.day === day(e);
        return {
          ...r,
          active_orders: num(r.active_orders) + 1,
          orders_total: num(r.orders_total) + 1,
          orders_today: (sameDay ? num(r.orders_today) : 0) + 1,
          day: day(e),
        };
      },
    },
    'order.payment_processed': {
      key: creator,
      apply: (row, e) => {
        const r = row ?? zeroMetrics(e);
        const fulfilled = num(r.fulfilled) + 1;
        const sample = num(e.metadata.processingMs);
        // Exponential moving average: recent orders count most.
        const avg = num(r.avg_processing_ms) === 0 ? sample : num(r.avg_processing_ms) * 0.8 + sample * 0.2;
        return {
          ...r,
          revenue_cents: num(r.revenue_cents) + Math.round(num(data(e).amount) * 100),
          fulfilled,
          avg_processing_ms: Math.round(avg),
          automation_health: (fulfilled / (fulfilled + num(r.failed))) * 100,
        };
      },
    },
    'order.refunded': {
      key: creator,
      apply: (row, e) =>
        row && { revenue_cents: Math.max(0, num(row.revenue_cents) - Math.round(num(data(e).amount) * 100)) },
    },
    'order.cancelled': {
      key: creator,
      apply: (row, e) => {
        if (!row) return undefined;
        const failed = num(row.failed) + (data(e).cancelledBy === 'system' ? 1 : 0);
        return {
          active_orders: Math.max(0, num(row.active_orders) - 1),
          cancelled: num(row.cancelled) + 1,
          failed,
          automation_health: (num(row.fulfilled) / Math.max(1, num(row.fulfilled) + failed)) * 100,
        };
      },
    },
    'order.delivered': {
      key: creator,
      apply: (row) =>
        row && { active_orders: Math.max(0, num(row.active_orders) - 1), delivered: num(row.delivered) + 1 },
    },
  },
});

/** A row of `inventory_alerts`. */
export interface InventoryAlertRow extends Record<string, unknown> {
  creator_id: string;
  sku: string;
  product_id: string;
  product_name: string | null;
  stock: number;
  threshold: number;
  velocity_per_hour: number;
  hours_to_stockout: number | null;
  severity: string;
  /** ms since the epoch of the last sale, for the velocity's decay. */
  last_sale_ms: number;
}

/** Decay constant of the sales-velocity estimate (seconds): reacts within a minute or two. */
const VELOCITY_TAU_S = 120;

/** Severity from stock and time to stock-out (minutes matter in a viral spike). */
export function stockSeverity(stock: number, threshold: number, hoursToStockout: number | null): string {
  if (stock <= threshold / 2 || (hoursToStockout !== null && hoursToStockout < 2 / 60)) return 'critical';
  if (stock <= threshold || (hoursToStockout !== null && hoursToStockout < 10 / 60)) return 'warning';
  return 'ok';
}

function withDerived(row: InventoryAlertRow, rate: number): InventoryAlertRow {
  const velocity = rate * 3600;
  const hours = velocity > 0.01 ? row.stock / velocity : null;
  return {
    ...row,
    velocity_per_hour: Math.round(velocity * 10) / 10,
    hours_to_stockout: hours === null ? null : Math.round(hours * 10_000) / 10_000,
    severity: stockSeverity(row.stock, row.threshold, hours),
  };
}

const skuKey = (e: StoredEvent) => {
  const sku = e.metadata.sku ?? data(e).sku ?? data(e).productId;
  return { creator_id: str(data(e).creatorId), sku: str(sku) };
};

function blank(e: StoredEvent, key: { sku?: string }): InventoryAlertRow {
  return {
    creator_id: str(data(e).creatorId),
    sku: str(key.sku),
    product_id: str(data(e).productId),
    product_name: null,
    stock: 0,
    threshold: 20,
    velocity_per_hour: 0,
    hours_to_stockout: null,
    severity: 'ok',
    last_sale_ms: e.occurredAt.getTime(),
  };
}

/** Units per second, decayed to `atMs`. */
const decayedRate = (row: InventoryAlertRow, atMs: number): number =>
  (num(row.velocity_per_hour) / 3600) *
  Math.exp(-Math.max(0, atMs - num(row.last_sale_ms)) / 1000 / VELOCITY_TAU_S);

/** Stock, sales velocity and time to stock-out per SKU. */
export const inventoryAlerts: ProjectionDefinition<InventoryAlertRow> = defineProjection<InventoryAlertRow>({
  name: 'inventory_alerts',
  key: ['creator_id', 'sku'],
  migrations: [
    `CREATE TABLE :TABLE: (
       creator_id text NOT NULL, sku text NOT NULL, product_id text NOT NULL, product_name text,
       stock integer NOT NULL, threshold integer NOT NULL,
       velocity_per_hour double precision NOT NULL, hours_to_stockout double precision,
       severity text NOT NULL, last_sale_ms double precision NOT NULL,
       PRIMARY KEY (creator_id, sku))`,
  ],
  handlers: {
    'inventory.stock_updated': {
      key: skuKey,
      apply: (row, e, key) => {
        const r = row ?? blank(e, key);
        const d = data(e);
        const rate = decayedRate(r, e.occurredAt.getTime());
        return withDerived(
          {
            ...r,
            stock: num(d.quantity),
            threshold: d.threshold === undefined ? r.threshold : num(d.threshold),
            last_sale_ms: e.occurredAt.getTime(),
          },
          rate,
        );
      },
    },
    'inventory.reserved': {
      key: skuKey,
      apply: (row, e, key) => {
        const r = row ?? blank(e, key);
        const at = e.occurredAt.getTime();
        const rate = decayedRate(r, at) + num(data(e).quantity) / VELOCITY_TAU_S;
        const name = e.metadata.productName;
        return withDerived(
          { ...r, last_sale_ms: at, product_name: typeof name === 'string' ? name : r.product_name },
          rate,
        );
      },
    },
  },
});

/** The measurement each component shows. */
const HEADLINE: Readonly<Record<string, string>> = {
  tiktok_api: 'webhook_latency_ms',
  order_processing: 'lag_ms',
  inventory_sync: 'sync_age_ms',
  automation_health: 'success_pct',
};

/** A row of `system_health_metrics`. */
export interface HealthRow extends Record<string, unknown> {
  creator_id: string;
  metric: string;
  status: string;
  value: number;
  unit: string;
  checked_at: string;
}

/** The latest health check per component. */
export const systemHealthMetrics: ProjectionDefinition<HealthRow> = defineProjection<HealthRow>({
  name: 'system_health_metrics',
  key: ['creator_id', 'metric'],
  migrations: [
    `CREATE TABLE :TABLE: (
       creator_id text NOT NULL, metric text NOT NULL, status text NOT NULL,
       value double precision NOT NULL, unit text NOT NULL, checked_at text NOT NULL,
       PRIMARY KEY (creator_id, metric))`,
  ],
  handlers: {
    'system.health_check_completed': {
      key: (e) => ({ creator_id: str(data(e).creatorId), metric: str(data(e).component) }),
      apply: (_row, e) => {
        const d = data(e);
        const measurements = (d.measurements ?? {}) as Record<string, number>;
        // jsonb does not keep key order: the headline is named per component.
        const unit = HEADLINE[str(d.component)] ?? Object.keys(measurements)[0] ?? '';
        const value = measurements[unit] ?? 0;
        return { status: str(d.status), value: num(value), unit, checked_at: str(d.checkedAt) };
      },
    },
  },
});

/**
 * The realtime channels of these tables (the library's `DEFAULT_CHANNELS`
 * describe the commerce module's tables, whose columns differ).
 */
export const DASHBOARD_CHANNELS: readonly ChannelDefinition[] = [
  {
    name: 'system_health_metrics',
    keyColumns: ['creator_id', 'metric'],
    tenantColumn: 'creator_id',
    filterableColumns: ['metric', 'status'],
    throttleMs: 1000,
  },
  {
    name: 'order_metrics',
    keyColumns: ['creator_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['active_orders', 'orders_today', 'revenue_cents'],
    throttleMs: 5000,
  },
  {
    name: 'inventory_alerts',
    keyColumns: ['creator_id', 'sku'],
    tenantColumn: 'creator_id',
    filterableColumns: ['sku', 'severity', 'stock', 'hours_to_stockout'],
    throttleMs: 1000,
  },
];

/** The three dashboard read models (row types erased: handlers are invariant in them). */
export const DASHBOARD_PROJECTIONS: readonly ProjectionDefinition[] = [
  orderMetrics,
  inventoryAlerts,
  systemHealthMetrics,
] as unknown as readonly ProjectionDefinition[];
