/**
 * `commerce_orders`: one row per order, the state the aggregate read models
 * (`order_metrics`, `daily_revenue_metrics`) fold the changes of.
 */
import type { Row } from '../../core/row-change.js';
import {
  defineProjection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import type { EventPayload } from '../events/catalog.js';
import type { OrderReconciled } from '../conflicts/report-events.js';
import { eventTime } from './row-values.js';

/** Our status of an order, in lifecycle order. */
export const ORDER_STATUSES = [
  'received',
  'validated',
  'allocated',
  'paid',
  'shipped',
  'delivered',
  'cancelled',
  'refunded',
] as const;
/** One of {@link ORDER_STATUSES}. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses of an order still being worked on (counted as active). */
export const ACTIVE_ORDER_STATUSES: readonly OrderStatus[] = ['received', 'validated', 'allocated', 'paid'];

/** The metadata `source` of events written by the fulfillment saga (its orders count as automated). */
export const FULFILLMENT_SAGA_SOURCE = 'fulfillment_saga';

/** A `commerce_orders` row. */
export interface CommerceOrderRow extends Row {
  creator_id: string;
  order_id: string;
  shop_id: string | null;
  status: OrderStatus;
  tiktok_status: string | null;
  amount: number | null;
  currency: string | null;
  /** True when the fulfillment saga shipped it, false when a person did; null until shipped. */
  automated: boolean | null;
  /** Cancelled by the system (the saga compensated). */
  failed: boolean;
  /** Delivered (or TikTok reports it DELIVERED / COMPLETED). */
  completed: boolean;
  received_at: string | Date | null;
  shipped_at: string | Date | null;
  completed_at: string | Date | null;
  cancelled_at: string | Date | null;
  refunded_amount: number;
  tracking_number: string | null;
  updated_at: string | Date;
}

/** True when `status` counts as active. */
export function isActiveOrderStatus(status: unknown): boolean {
  return (ACTIVE_ORDER_STATUSES as readonly unknown[]).includes(status);
}

function rank(status: OrderStatus): number {
  return ORDER_STATUSES.indexOf(status);
}

/** Move forward only: a late or repeated event never moves an order back. */
function advance(current: OrderStatus | undefined, next: OrderStatus): OrderStatus {
  if (current === undefined) return next;
  return rank(next) > rank(current) ? next : current;
}

function blank(key: Partial<CommerceOrderRow>, at: string): CommerceOrderRow {
  return {
    creator_id: key.creator_id!,
    order_id: key.order_id!,
    shop_id: null,
    status: 'received',
    tiktok_status: null,
    amount: null,
    currency: null,
    automated: null,
    failed: false,
    completed: false,
    received_at: null,
    shipped_at: null,
    completed_at: null,
    cancelled_at: null,
    refunded_amount: 0,
    tracking_number: null,
    updated_at: at,
  };
}

function keyOf(data: { creatorId: string; orderId: string }): Partial<CommerceOrderRow> {
  return { creator_id: data.creatorId, order_id: data.orderId };
}

function on<T extends keyof OrderEvents>(
  apply: (
    row: CommerceOrderRow,
    data: OrderEvents[T],
    event: StoredEvent,
  ) => Partial<CommerceOrderRow> | undefined,
  options: { createIfMissing?: boolean } = {},
): ProjectionHandler<CommerceOrderRow> {
  return {
    key: (e) => keyOf(e.data as { creatorId: string; orderId: string }),
    apply: (current, event, key) => {
      if (current === null && options.createIfMissing === false) return undefined;
      const at = eventTime(event);
      const row = current ?? blank(key, at);
      const change = apply(row, event.data as OrderEvents[T], event);
      if (change === undefined) return current === null ? row : undefined;
      return { ...row, ...change, updated_at: at };
    },
  };
}

interface OrderEvents {
  'order.received_from_tiktok': EventPayload<'order.received_from_tiktok'>;
  'order.validated': EventPayload<'order.validated'>;
  'order.inventory_allocated': EventPayload<'order.inventory_allocated'>;
  'order.payment_processed': EventPayload<'order.payment_processed'>;
  'order.shipped': EventPayload<'order.shipped'>;
  'order.delivered': EventPayload<'order.delivered'>;
  'order.cancelled': EventPayload<'order.cancelled'>;
  'order.refunded': EventPayload<'order.refunded'>;
  'tiktok.order_status_changed': EventPayload<'tiktok.order_status_changed'>;
  'order.reconciled': OrderReconciled;
}

/**
 * The `commerce_orders` projection.
 *
 * @example
 * ```ts
 * const orders = commerceOrdersProjection();
 * orders.eventTypes // ['order.received_from_tiktok', …]
 * ```
 */
export function commerceOrdersProjection(): ProjectionDefinition<CommerceOrderRow> {
  return defineProjection<CommerceOrderRow>({
    name: 'commerce_orders',
    key: ['creator_id', 'order_id'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL,
        order_id text NOT NULL,
        shop_id text,
        status text NOT NULL,
        tiktok_status text,
        amount double precision,
        currency text,
        automated boolean,
        failed boolean NOT NULL DEFAULT false,
        completed boolean NOT NULL DEFAULT false,
        received_at timestamptz,
        shipped_at timestamptz,
        completed_at timestamptz,
        cancelled_at timestamptz,
        refunded_amount double precision NOT NULL DEFAULT 0,
        tracking_number text,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (creator_id, order_id)
      );
      CREATE INDEX :TABLE_NAME:_status ON :TABLE: (creator_id, status);`,
    ],
    handlers: {
      'order.received_from_tiktok': on<'order.received_from_tiktok'>((row, d) => ({
        shop_id: d.shopId,
        status: advance(row.status, 'received'),
        tiktok_status: row.tiktok_status ?? d.status,
        amount: row.amount ?? d.totalAmount ?? null,
        currency: row.currency ?? d.currency ?? null,
        received_at: row.received_at ?? d.updateTime,
      })),
      'order.validated': on<'order.validated'>((row) => ({ status: advance(row.status, 'validated') })),
      'order.inventory_allocated': on<'order.inventory_allocated'>((row) => ({
        status: advance(row.status, 'allocated'),
      })),
      'order.payment_processed': on<'order.payment_processed'>((row, d) => ({
        status: advance(row.status, 'paid'),
        amount: d.amount,
        currency: d.currency,
      })),
      'order.shipped': on<'order.shipped'>((row, d, e) => ({
        status: advance(row.status, 'shipped'),
        shipped_at: row.shipped_at ?? d.shippedAt,
        tracking_number: d.trackingNumber,
        automated: row.automated ?? e.metadata.source === FULFILLMENT_SAGA_SOURCE,
      })),
      'order.delivered': on<'order.delivered'>((row, d) => complete(row, d.deliveredAt)),
      'order.cancelled': on<'order.cancelled'>((row, d) =>
        row.cancelled_at !== null
          ? undefined
          : {
              // A refund (e.g. the saga's compensation) may come first; it stays the status.
              status: row.status === 'refunded' ? 'refunded' : 'cancelled',
              cancelled_at: d.cancelledAt,
              failed: d.cancelledBy === 'system',
            },
      ),
      'order.refunded': on<'order.refunded'>((row, d) => ({
        status: 'refunded',
        refunded_amount: row.refunded_amount + d.amount,
      })),
      'tiktok.order_status_changed': on<'tiktok.order_status_changed'>(
        (row, d) => ({
          tiktok_status: d.status,
          ...(d.status === 'DELIVERED' || d.status === 'COMPLETED' ? complete(row, d.updateTime) : {}),
        }),
        { createIfMissing: false },
      ),
      // The settled state from resolve-sync-conflicts. An admin's decision sets the status even
      // against the lifecycle order; an automatic settlement moves it forward only, like the
      // lifecycle events the same sources wrote: it was worked out from a state read before its
      // append, and a refund or delivery folded since must not be undone (docs/conflicts.md).
      'order.reconciled': on<'order.reconciled'>((row, d, e) => ({
        ...(d.status === 'delivered' ? complete(row, eventTime(e)) : {}),
        ...(d.status === undefined
          ? {}
          : { status: d.decidedBy === undefined ? advance(row.status, d.status) : d.status }),
        ...(d.totalAmount === undefined ? {} : { amount: d.totalAmount }),
        ...(d.refundedAmount === undefined ? {} : { refunded_amount: d.refundedAmount }),
      })),
    },
  });
}

function complete(row: CommerceOrderRow, at: string): Partial<CommerceOrderRow> {
  if (row.completed) return {};
  return {
    status: advance(row.status, 'delivered'),
    completed: true,
    completed_at: at,
    shipped_at: row.shipped_at ?? at,
  };
}
