/**
 * Laws of the order read models: however the events of different orders
 * interleave, the aggregates equal what the orders' fates say.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ReadModelSet,
  commerceEvent,
  commerceReadModelDefinitions,
  orderStream,
  resolveHealthThresholds,
  resolveInventoryOptions,
  type DailyRevenueRow,
  type OrderMetricsRow,
} from '../../src/commerce/index.js';
import { createEventStore, type NewEvent } from '../../src/store/index.js';

const FATES = ['open', 'shipped', 'delivered', 'cancelled'] as const;
const order = fc.record({
  fate: fc.constantFrom(...FATES),
  amount: fc.integer({ min: 1, max: 500 }),
  automated: fc.boolean(),
  minutes: fc.integer({ min: 1, max: 600 }),
});

function lifecycle(
  i: number,
  o: { fate: string; amount: number; automated: boolean; minutes: number },
): NewEvent[] {
  const base = { creatorId: 'c1', orderId: `o${i}` };
  const t0 = Date.UTC(2026, 0, 1, 8);
  const at = (m: number) => new Date(t0 + m * 60_000).toISOString();
  const events: NewEvent[] = [
    commerceEvent('order.received_from_tiktok', {
      ...base,
      shopId: 's1',
      status: 'AWAITING_SHIPMENT',
      updateTime: at(0),
      totalAmount: o.amount,
      currency: 'USD',
    }),
  ];
  if (o.fate === 'cancelled') {
    events.push(
      commerceEvent('order.cancelled', { ...base, cancelledBy: 'buyer', cancelledAt: at(o.minutes) }),
    );
  }
  if (o.fate === 'shipped' || o.fate === 'delivered') {
    events.push(
      commerceEvent(
        'order.shipped',
        { ...base, provider: 'p', trackingNumber: `t${i}`, shippedAt: at(o.minutes) },
        { metadata: { source: o.automated ? 'fulfillment_saga' : 'dashboard' } },
      ),
    );
  }
  if (o.fate === 'delivered')
    events.push(commerceEvent('order.delivered', { ...base, deliveredAt: at(o.minutes + 60) }));
  return events;
}

describe('order read models', () => {
  it('agree with the orders whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(order, { minLength: 1, maxLength: 12 }),
        fc.infiniteStream(fc.nat()),
        async (orders, picks) => {
          const store = createEventStore();
          const set = new ReadModelSet({
            store,
            name: 'commerce',
            definitions: commerceReadModelDefinitions(resolveInventoryOptions(), resolveHealthThresholds()),
          });
          await set.start();
          // Interleave the orders' streams at random, each stream in its own order.
          const queues = orders.map((o, i) => lifecycle(i, o));
          const it = picks[Symbol.iterator]();
          while (queues.some((q) => q.length > 0)) {
            const open = queues.map((q, i) => [q, i] as const).filter(([q]) => q.length > 0);
            const [queue, i] = open[it.next().value % open.length]!;
            await store.append(orderStream('c1', `o${i}`), [queue.shift()!]);
          }
          const metrics = (await set.unscopedFind<OrderMetricsRow>('order_metrics', { creator_id: 'c1' }))!;
          const shipped = orders.filter((o) => o.fate === 'shipped' || o.fate === 'delivered');
          expect(metrics.received_orders).toBe(orders.length);
          expect(metrics.active_orders).toBe(orders.filter((o) => o.fate === 'open').length);
          expect(metrics.shipped_orders).toBe(shipped.length);
          expect(metrics.automated_orders).toBe(shipped.filter((o) => o.automated).length);
          expect(metrics.manual_orders).toBe(shipped.filter((o) => !o.automated).length);
          const revenue = (await set.unscopedRows<DailyRevenueRow>('daily_revenue_metrics')).reduce(
            (a, r) => a + r.revenue,
            0,
          );
          const delivered = orders.filter((o) => o.fate === 'delivered');
          expect(revenue).toBeCloseTo(
            delivered.reduce((a, o) => a + o.amount, 0),
            6,
          );
          const received = (await set.unscopedRows<DailyRevenueRow>('daily_revenue_metrics')).reduce(
            (a, r) => a + r.orders_received,
            0,
          );
          expect(received).toBe(orders.length);
          await store.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
