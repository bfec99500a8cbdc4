/**
 * Projections for the partition suites: per-creator totals (rows keyed by
 * tenant, so partitioned by tenant) and per-order status (rows keyed by
 * stream, so partitioned by the default stream key). `history` records the
 * order events were applied in, so a partition that broke log order shows.
 */
import {
  defineProjection,
  tenantPartitionKey,
  type ProjectionDefinition,
} from '../../../src/processing/index.js';
import type { EventStore, StoredEvent } from '../../../src/store/types.js';

/** A per-creator row. */
export interface CreatorRow extends Record<string, unknown> {
  creator_id: string;
  orders: number;
  cancelled: number;
  revenue_cents: number;
  history: string;
}

/** A per-order row. */
export interface OrderRow extends Record<string, unknown> {
  order_stream: string;
  status: string;
  history: string;
}

interface OrderData {
  creatorId: string;
  orderId: string;
  cents: number;
}

const data = (e: StoredEvent) => e.data as OrderData;

/** Totals per creator; `partitions` > 1 partitions by creator. */
export function creatorTotals(name: string, partitions = 1): ProjectionDefinition<CreatorRow> {
  return defineProjection<CreatorRow>({
    name,
    key: ['creator_id'],
    partitions,
    partitionKey: tenantPartitionKey('creatorId'),
    migrations: [
      `CREATE TABLE :TABLE: (creator_id text PRIMARY KEY, orders int NOT NULL, cancelled int NOT NULL,
         revenue_cents bigint NOT NULL, history text NOT NULL)`,
    ],
    handlers: {
      'order.placed': {
        key: (e) => ({ creator_id: data(e).creatorId }),
        apply: (row, e) => ({
          orders: Number(row?.orders ?? 0) + 1,
          cancelled: Number(row?.cancelled ?? 0),
          revenue_cents: Number(row?.revenue_cents ?? 0) + data(e).cents,
          history: `${row?.history ?? ''}+${data(e).orderId}`,
        }),
      },
      'order.cancelled': {
        key: (e) => ({ creator_id: data(e).creatorId }),
        apply: (row, e) =>
          row === null
            ? undefined
            : {
                cancelled: Number(row.cancelled) + 1,
                revenue_cents: Number(row.revenue_cents) - data(e).cents,
                history: `${row.history}-${data(e).orderId}`,
              },
      },
    },
  });
}

/** Status per order stream; `partitions` > 1 partitions by stream (the default key). */
export function orderStatus(name: string, partitions = 1): ProjectionDefinition<OrderRow> {
  return defineProjection<OrderRow>({
    name,
    key: ['order_stream'],
    partitions,
    migrations: [
      'CREATE TABLE :TABLE: (order_stream text PRIMARY KEY, status text NOT NULL, history text NOT NULL)',
    ],
    handlers: {
      'order.placed': {
        key: (e) => ({ order_stream: e.aggregateId }),
        apply: (row) => ({ status: 'placed', history: `${row?.history ?? ''}p` }),
      },
      'order.cancelled': {
        key: (e) => ({ order_stream: e.aggregateId }),
        apply: (row) => (row === null ? undefined : { status: 'cancelled', history: `${row.history}c` }),
      },
    },
  });
}

/** One append to an order stream: a placement, sometimes followed by a cancellation. */
export interface OrderAppend {
  creator: number;
  order: number;
  cancel: boolean;
}

/**
 * Append the orders; returns the last checkpoint.
 *
 * @example
 * ```ts
 * const last = await appendOrders(store, [{ creator: 1, order: 7, cancel: false }]);
 * ```
 */
export async function appendOrders(
  store: EventStore,
  orders: readonly OrderAppend[],
  tag = '',
): Promise<string> {
  let last = '0:0';
  for (const { creator, order, cancel } of orders) {
    const d = { creatorId: `c${creator}`, orderId: `${tag}o${order}`, cents: 100 + order };
    const events = [{ type: 'order.placed', data: d }];
    if (cancel) events.push({ type: 'order.cancelled', data: d });
    last = (await store.append(`order-c${creator}:${tag}o${order}`, events)).checkpoint;
  }
  return last;
}

/** Rows with numbers normalised (bigint columns come back as strings). */
export function normalise(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
    ),
  );
}
