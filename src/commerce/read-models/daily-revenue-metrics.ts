/**
 * `daily_revenue_metrics`: one row per creator and UTC day, folded from
 * `commerce_orders` row changes. Revenue counts completed (delivered) orders
 * on the day they completed; the conversion rate is the share of the day's
 * received orders that completed.
 */
import type { Row } from '../../core/row-change.js';
import { defineProjection, type ProjectionDefinition } from '../../processing/index.js';
import { addMoney, conversionRate, utcDay } from '../metrics/revenue.js';
import type { CommerceOrderRow } from './commerce-orders.js';
import { rowChangeOf, rowEventType } from './read-model-set.js';
import { eventTime, toMs, toNumber } from './row-values.js';

/** A `daily_revenue_metrics` row. */
export interface DailyRevenueRow extends Row {
  creator_id: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  orders_received: number;
  orders_completed: number;
  orders_cancelled: number;
  /** Orders received this day that have completed since. */
  cohort_completed: number;
  /** Sum of the amounts of the orders completed this day. */
  revenue: number;
  /** Sum of refunds recorded this day. */
  refunds: number;
  currency: string | null;
  /** cohort_completed / orders_received, percent. */
  conversion_rate: number | null;
  /** revenue / orders_completed. */
  avg_order_value: number | null;
  updated_at: string | Date;
}

interface Contribution {
  day: string;
  received?: number;
  completed?: number;
  cancelled?: number;
  cohort?: number;
  revenue?: number;
  refunds?: number;
  currency?: string | null;
}

/** What one order row change adds, per day. */
function contributions(
  oldRow: CommerceOrderRow | null,
  newRow: CommerceOrderRow,
  eventDay: string,
): Contribution[] {
  const out: Contribution[] = [];
  const receivedAt = toMs(newRow.received_at);
  if (receivedAt !== null && toMs(oldRow?.received_at) === null)
    out.push({ day: utcDay(receivedAt), received: 1 });
  const completedAt = toMs(newRow.completed_at);
  if (newRow.completed && !oldRow?.completed && completedAt !== null) {
    out.push({
      day: utcDay(completedAt),
      completed: 1,
      revenue: toNumber(newRow.amount),
      currency: newRow.currency,
    });
    if (receivedAt !== null) out.push({ day: utcDay(receivedAt), cohort: 1 });
  }
  const cancelledAt = toMs(newRow.cancelled_at);
  if (cancelledAt !== null && toMs(oldRow?.cancelled_at) === null)
    out.push({ day: utcDay(cancelledAt), cancelled: 1 });
  const refunded = toNumber(newRow.refunded_amount) - toNumber(oldRow?.refunded_amount);
  if (refunded > 0) out.push({ day: eventDay, refunds: refunded, currency: newRow.currency });
  return out;
}

function changeOf(e: Parameters<typeof rowChangeOf>[0]) {
  return rowChangeOf(e) as { oldRow: CommerceOrderRow | null; newRow: CommerceOrderRow | null };
}

/**
 * The `daily_revenue_metrics` projection (folds `row:commerce_orders`).
 *
 * @example
 * ```ts
 * const revenue = dailyRevenueProjection();
 * ```
 */
export function dailyRevenueProjection(): ProjectionDefinition<DailyRevenueRow> {
  return defineProjection<DailyRevenueRow>({
    name: 'daily_revenue_metrics',
    key: ['creator_id', 'day'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL,
        day text NOT NULL,
        orders_received integer NOT NULL DEFAULT 0,
        orders_completed integer NOT NULL DEFAULT 0,
        orders_cancelled integer NOT NULL DEFAULT 0,
        cohort_completed integer NOT NULL DEFAULT 0,
        revenue double precision NOT NULL DEFAULT 0,
        refunds double precision NOT NULL DEFAULT 0,
        currency text,
        conversion_rate double precision,
        avg_order_value double precision,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (creator_id, day)
      )`,
    ],
    handlers: {
      [rowEventType('commerce_orders')]: {
        key: (e) => {
          const { oldRow, newRow } = changeOf(e);
          if (!newRow) return null;
          const days = new Set(contributions(oldRow, newRow, utcDay(e.occurredAt)).map((c) => c.day));
          return [...days].map((day) => ({ creator_id: newRow.creator_id, day }));
        },
        apply: (current, event, key) => {
          const { oldRow, newRow } = changeOf(event);
          if (!newRow) return undefined;
          const mine = contributions(oldRow, newRow, utcDay(event.occurredAt)).filter(
            (c) => c.day === key.day,
          );
          if (mine.length === 0) return undefined;
          const row: DailyRevenueRow = current ?? blank(key.creator_id!, key.day!, eventTime(event));
          let { orders_received, orders_completed, orders_cancelled, cohort_completed, revenue, refunds } =
            row;
          revenue = toNumber(revenue);
          refunds = toNumber(refunds);
          let currency = row.currency;
          for (const c of mine) {
            orders_received += c.received ?? 0;
            orders_completed += c.completed ?? 0;
            orders_cancelled += c.cancelled ?? 0;
            cohort_completed += c.cohort ?? 0;
            revenue = addMoney(revenue, c.revenue ?? 0);
            refunds = addMoney(refunds, c.refunds ?? 0);
            currency = c.currency ?? currency;
          }
          return {
            orders_received,
            orders_completed,
            orders_cancelled,
            cohort_completed,
            revenue,
            refunds,
            currency,
            conversion_rate: conversionRate(cohort_completed, orders_received),
            avg_order_value: orders_completed > 0 ? revenue / orders_completed : null,
            updated_at: eventTime(event),
          };
        },
      },
    },
  });
}

function blank(creatorId: string, day: string, at: string): DailyRevenueRow {
  return {
    creator_id: creatorId,
    day,
    orders_received: 0,
    orders_completed: 0,
    orders_cancelled: 0,
    cohort_completed: 0,
    revenue: 0,
    refunds: 0,
    currency: null,
    conversion_rate: null,
    avg_order_value: null,
    updated_at: at,
  };
}
