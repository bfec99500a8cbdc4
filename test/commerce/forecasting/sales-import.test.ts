/**
 * Imported sales history (`inventory.sales_imported`): each day lands in
 * `product_daily_sales` on the day it names and adds to what the log sold
 * that day; stock levels are untouched; importing the same history twice
 * writes nothing; and the analytics updater forecasts from it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  createCommerce,
  importDailySales,
  SALES_IMPORTED_EVENT,
  type Commerce,
  type ProductDailySalesRow,
  type ProductTrendRow,
} from '../../../src/commerce/index.js';
import { createEventStore } from '../../../src/store/index.js';

const C = 'creator-a';
const NOW = Date.parse('2026-11-10T12:00:00Z');

describe('importDailySales', () => {
  let commerce: Commerce | undefined;
  afterEach(async () => {
    await commerce?.stop();
    await commerce?.store.close();
    commerce = undefined;
  });

  it('folds each day into product_daily_sales, once, without touching stock', async () => {
    const store = createEventStore({ occurredAtWindow: null });
    commerce = createCommerce({ store, pollIntervalMs: 20, analytics: { schedule: false, now: () => NOW } });
    await commerce.start();
    // A live sale on 2026-11-01 and an imported total for the same day add up.
    await store.append(`inventory-${C}-p1`, [
      commerceEvent(
        'inventory.reserved',
        { creatorId: C, productId: 'p1', orderId: 'o1', quantity: 2 },
        { occurredAt: new Date('2026-11-01T09:00:00Z') },
      ),
    ]);
    const units = Array.from({ length: 42 }, (_, d) => (d % 7 === 3 ? 0 : 5 + (d % 4)));
    const history = { creatorId: C, productId: 'p1', startDate: '2026-09-29', units };
    const first = await importDailySales(store, history);
    expect(first?.positions).toHaveLength(units.filter((u) => u > 0).length);
    expect((await importDailySales(store, history))?.duplicate).toBe(true);
    await commerce.whenIdle();

    const rows = await commerce.readModels.unscopedRows<ProductDailySalesRow>('product_daily_sales');
    const byDay = new Map(rows.map((r) => [r.day, Number(r.units)]));
    expect(rows).toHaveLength(units.filter((u) => u > 0).length);
    expect(byDay.get('2026-09-29')).toBe(5);
    expect(byDay.has('2026-10-02')).toBe(false); // a day that sold nothing has no row
    expect(byDay.get('2026-11-01')).toBe(units[33]! + 2);
    // Only the reservation moved stock.
    const [level] = await commerce.readModels.unscopedRows('inventory_levels');
    expect(Number(level!.reserved)).toBe(2);

    const { events } = await store.readStream(`sales-import-${C}-p1`);
    expect(events.every((e) => e.type === SALES_IMPORTED_EVENT)).toBe(true);
    await commerce.analytics!.runOnce();
    const [trend] = await commerce.readModels.unscopedRows<ProductTrendRow>('product_trend_analysis');
    expect(trend!.first_date).toBe('2026-11-10');
    expect(trend!.total_p50).toBeGreaterThan(30 * 4);
  });

  it('rejects a malformed day', async () => {
    const store = createEventStore({ occurredAtWindow: null });
    await expect(
      importDailySales(store, { creatorId: C, productId: 'p1', startDate: '2026-13-01', units: [1] }),
    ).rejects.toThrow(/startDate/);
  });
});
