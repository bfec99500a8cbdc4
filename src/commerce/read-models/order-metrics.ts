/**
 * `order_metrics`: one row per creator, folded from `commerce_orders` row
 * changes: active orders, automation health, processing time and its trend.
 */
import type { Row } from '../../core/row-change.js';
import { defineProjection, type ProjectionDefinition } from '../../processing/index.js';
import { automationHealthPct, processingStats, pushSample } from '../metrics/order-metrics.js';
import type { TrendDirection } from '../metrics/trend.js';
import { isActiveOrderStatus, type CommerceOrderRow } from './commerce-orders.js';
import { rowChangeOf, rowEventType } from './read-model-set.js';
import { eventTime, toMs, toNumberArray } from './row-values.js';

/** An `order_metrics` row. */
export interface OrderMetricsRow extends Row {
  creator_id: string;
  /** Orders received and not yet shipped, cancelled or refunded. */
  active_orders: number;
  received_orders: number;
  shipped_orders: number;
  /** Orders shipped by the fulfillment saga. */
  automated_orders: number;
  /** Orders shipped by a person, plus orders the saga gave up on. */
  manual_orders: number;
  failed_orders: number;
  /** automated / (automated + manual), percent; null before the first shipped or failed order. */
  automation_health_pct: number | null;
  /** Mean receive-to-ship time of the last 20 shipped orders, ms. */
  avg_processing_ms: number | null;
  /** The same over the 20 before those. */
  previous_avg_processing_ms: number | null;
  processing_change_pct: number | null;
  /** Direction of the processing time (`'down'` = faster). */
  trend_direction: TrendDirection;
  /** Newest 40 processing times, ms. */
  processing_samples: number[];
  updated_at: string | Date;
}

/**
 * The `order_metrics` projection (folds `row:commerce_orders`).
 *
 * @example
 * ```ts
 * const metrics = orderMetricsProjection();
 * ```
 */
export function orderMetricsProjection(): ProjectionDefinition<OrderMetricsRow> {
  return defineProjection<OrderMetricsRow>({
    name: 'order_metrics',
    key: ['creator_id'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text PRIMARY KEY,
        active_orders integer NOT NULL DEFAULT 0,
        received_orders integer NOT NULL DEFAULT 0,
        shipped_orders integer NOT NULL DEFAULT 0,
        automated_orders integer NOT NULL DEFAULT 0,
        manual_orders integer NOT NULL DEFAULT 0,
        failed_orders integer NOT NULL DEFAULT 0,
        automation_health_pct double precision,
        avg_processing_ms double precision,
        previous_avg_processing_ms double precision,
        processing_change_pct double precision,
        trend_direction text NOT NULL DEFAULT 'flat',
        processing_samples jsonb NOT NULL DEFAULT '[]',
        updated_at timestamptz NOT NULL
      )`,
    ],
    handlers: {
      [rowEventType('commerce_orders')]: {
        key: (e) => ({ creator_id: rowChangeOf(e).key['creator_id'] as string }),
        apply: (current, event, key) => {
          const { oldRow, newRow } = rowChangeOf(event) as {
            oldRow: CommerceOrderRow | null;
            newRow: CommerceOrderRow | null;
          };
          if (!newRow) return undefined;
          const row: OrderMetricsRow = current ?? blank(key.creator_id!, eventTime(event));
          let active = row.active_orders;
          let received = row.received_orders;
          let shipped = row.shipped_orders;
          let automated = row.automated_orders;
          let manual = row.manual_orders;
          let failed = row.failed_orders;
          let samples = toNumberArray(row.processing_samples);
          const wasActive = oldRow !== null && isActiveOrderStatus(oldRow.status);
          active += Number(isActiveOrderStatus(newRow.status)) - Number(wasActive);
          if (oldRow === null) received += 1;
          const shippedAt = toMs(newRow.shipped_at);
          if (shippedAt !== null && toMs(oldRow?.shipped_at) === null) {
            shipped += 1;
            if (newRow.automated === true) automated += 1;
            else manual += 1;
            const receivedAt = toMs(newRow.received_at);
            if (receivedAt !== null) samples = pushSample(samples, Math.max(0, shippedAt - receivedAt));
          }
          if (newRow.failed && !oldRow?.failed) {
            failed += 1;
            manual += 1;
          }
          const changed =
            active !== row.active_orders ||
            received !== row.received_orders ||
            shipped !== row.shipped_orders ||
            manual !== row.manual_orders ||
            automated !== row.automated_orders;
          if (!changed && current !== null) return undefined;
          const stats = processingStats(samples);
          return {
            active_orders: Math.max(0, active),
            received_orders: received,
            shipped_orders: shipped,
            automated_orders: automated,
            manual_orders: manual,
            failed_orders: failed,
            automation_health_pct: automationHealthPct(automated, manual),
            avg_processing_ms: stats.avgMs,
            previous_avg_processing_ms: stats.previousAvgMs,
            processing_change_pct: stats.changePct,
            trend_direction: stats.trend,
            processing_samples: samples,
            updated_at: eventTime(event),
          };
        },
      },
    },
  });
}

function blank(creatorId: string, at: string): OrderMetricsRow {
  return {
    creator_id: creatorId,
    active_orders: 0,
    received_orders: 0,
    shipped_orders: 0,
    automated_orders: 0,
    manual_orders: 0,
    failed_orders: 0,
    automation_health_pct: null,
    avg_processing_ms: null,
    previous_avg_processing_ms: null,
    processing_change_pct: null,
    trend_direction: 'flat',
    processing_samples: [],
    updated_at: at,
  };
}
