/**
 * The analytics updater on every store engine: daily sales fold from the log,
 * one run fills the three analytics read models (published on their realtime
 * channels), and a later run scores the kept forecasts against what sold.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RowChange } from '../../../src/core/row-change.js';
import {
  AnalyticsUpdater,
  commerceEvent,
  ForecastInputError,
  type CreatorPerformanceRow,
  type InsightRow,
  type ProductDailySalesRow,
  type ProductTrendRow,
} from '../../../src/commerce/index.js';
import { addDays } from '../../../src/commerce/forecasting/dates.js';
import { poisson, seededRandom } from '../../../src/commerce/forecasting/random.js';
import { commerceEngines, type CommerceTestbed } from '../support.js';

const C = 'creator-f';
const START = '2026-06-01';
const DAY_MS = 86_400_000;
const at = (date: string, hour = 12) => new Date(Date.parse(`${date}T00:00:00Z`) + hour * 3_600_000);

/** Append `days` of sales: p-steady ~8/day with 900 in stock; p-viral ~3/day, then a spike on its last 4 days, 60 in stock. */
async function sell(bed: CommerceTestbed, from: number, days: number, seed: number): Promise<void> {
  const rng = seededRandom(seed);
  const stock = [
    ['p-steady', 900],
    ['p-viral', 60],
  ] as const;
  if (from === 0) {
    for (const [productId, quantity] of stock) {
      await bed.store.append(`inventory-${C}-${productId}`, [
        commerceEvent(
          'inventory.stock_updated',
          { creatorId: C, productId, quantity, reason: 'restock', threshold: 5 },
          { occurredAt: at(START, 0) },
        ),
      ]);
    }
  }
  // One append per product (its whole period), so the suite stays quick on a busy server.
  const batches = new Map<string, ReturnType<typeof commerceEvent>[]>();
  for (let d = from; d < from + days; d++) {
    const date = addDays(START, d);
    const rates = { 'p-steady': 8, 'p-viral': d >= 86 && d < 90 ? 40 : 3 };
    for (const [productId, rate] of Object.entries(rates)) {
      const quantity = poisson(rng, rate);
      if (quantity === 0) continue;
      const batch = batches.get(productId) ?? [];
      batch.push(
        commerceEvent(
          'inventory.reserved',
          { creatorId: C, productId, orderId: `o-${productId}-${d}`, quantity },
          { occurredAt: at(date) },
        ),
      );
      batches.set(productId, batch);
    }
  }
  for (const [productId, events] of batches) await bed.store.append(`inventory-${C}-${productId}`, events);
}

describe.each(commerceEngines)('analytics updater on $name', (engine) => {
  let bed: CommerceTestbed;
  beforeEach(async () => {
    bed = await engine.open();
  });
  afterEach(async () => {
    await bed.close();
  });

  it('keeps the trend, creator and insight read models current, and scores its forecasts later', async () => {
    await sell(bed, 0, 90, 7);
    const { commerce } = bed;
    const daily = await commerce.readModels.unscopedRows<ProductDailySalesRow>('product_daily_sales');
    expect(
      daily.filter((r) => r.product_id === 'p-viral' && r.day === addDays(START, 88))[0]?.units,
    ).toBeGreaterThan(20);

    let now = Date.parse(`${addDays(START, 90)}T08:00:00Z`);
    const updater = new AnalyticsUpdater({
      store: bed.store,
      readModels: commerce.readModels,
      leadTimeDays: 3,
      now: () => now,
    });
    const published: RowChange[] = [];
    const sub = commerce.readModels.changes.subscribe((c) => published.push(c));
    const first = await updater.runOnce();
    expect(first).toMatchObject({ products: 2, creators: 1 });

    const trends = await commerce.readModels.unscopedRows<ProductTrendRow>('product_trend_analysis');
    const steady = trends.find((t) => t.product_id === 'p-steady')!;
    const viral = trends.find((t) => t.product_id === 'p-viral')!;
    expect(steady.first_date).toBe(addDays(START, 90));
    expect(steady.forecast).toHaveLength(30);
    expect(steady.forecast[0]!.p50).toBeGreaterThan(4);
    expect(steady.forecast[0]!.p50).toBeLessThan(12);
    expect(steady.total_p10).toBeLessThanOrEqual(steady.total_p90);
    expect(viral.spike_state).toBe('confirmed');
    expect(viral.spike_confidence).toBeGreaterThan(0.99);
    expect(viral.spike_onset_date! >= addDays(START, 84)).toBe(true);
    // 60 units minus ~400 reserved: nothing available, so stock-out is now and a reorder is urgent.
    expect(viral.available).toBeLessThanOrEqual(0);
    expect(viral.reorder_quantity).toBeGreaterThan(0);
    expect(viral.reorder_message).toMatch(/^reorder \d+ units/);
    expect(steady.stockout_median_date).not.toBeNull();

    const [creator] = await commerce.readModels.unscopedRows<CreatorPerformanceRow>(
      'creator_performance_analytics',
    );
    expect(creator).toMatchObject({
      creator_id: C,
      products_selling: 2,
      top_product_id: 'p-steady',
      forecasts_scored: 0,
    });
    expect(creator!.units_30d).toBeGreaterThan(200);
    const insights = await commerce.readModels.unscopedRows<InsightRow>('business_intelligence_insights');
    expect(insights.map((i) => i.kind)).toEqual(
      expect.arrayContaining(['viral_spike', 'reorder_due', 'stockout_risk']),
    );
    expect(published.filter((c) => c.table === 'product_trend_analysis').map((c) => c.operation)).toEqual([
      'INSERT',
      'INSERT',
    ]);

    // 30 days later: the first forecasts' horizon has passed and is scored.
    await sell(bed, 90, 30, 8);
    now += 30 * DAY_MS;
    const later = await updater.runOnce();
    expect(later.accuracy.scored).toBe(2);
    expect(later.accuracy.coverage80).toBeGreaterThan(0);
    const steadyLater = (
      await commerce.readModels.unscopedRows<ProductTrendRow>('product_trend_analysis')
    ).find((t) => t.product_id === 'p-steady')!;
    expect(steadyLater.forecasts_scored).toBe(1);
    expect(steadyLater.accuracy_within_20pct).toBe(1);
    // The steady seller's 80 % interval held most of its 30 days.
    expect(steadyLater.accuracy_coverage_80).toBeGreaterThan(0.6);
    expect(published.some((c) => c.table === 'product_trend_analysis' && c.operation === 'UPDATE')).toBe(
      true,
    );
    sub.unsubscribe();
  });

  it('runs every interval on the runtime poll loop, and stop() waits for the run in flight', async () => {
    const rm = bed.commerce.readModels;
    const updater = new AnalyticsUpdater({ store: bed.store, readModels: rm, intervalMs: 1_000 });
    const runs: unknown[] = [];
    updater.on('updated', (run) => runs.push(run));
    // Hold the first interval's run at its start (it waits for the read models) until released.
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const whenCaughtUp = rm.whenCaughtUp.bind(rm);
    rm.whenCaughtUp = async (...args: Parameters<typeof rm.whenCaughtUp>) => {
      entered();
      await gate;
      return whenCaughtUp(...args);
    };
    try {
      updater.start();
      updater.start(); // a second start is a no-op
      await inFlight;
      let stopped = false;
      const stopping = updater.stop().then(() => (stopped = true));
      for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(runs).toHaveLength(1); // the run in flight finished, and no other started
    } finally {
      rm.whenCaughtUp = whenCaughtUp;
    }
  });

  it('refuses bad options', () => {
    expect(
      () => new AnalyticsUpdater({ store: bed.store, readModels: bed.commerce.readModels, intervalMs: 5 }),
    ).toThrow(ForecastInputError);
    expect(
      () => new AnalyticsUpdater({ store: bed.store, readModels: bed.commerce.readModels, leadTimeDays: -1 }),
    ).toThrow(ForecastInputError);
    expect(
      () =>
        new AnalyticsUpdater({ store: bed.store, readModels: bed.commerce.readModels, serviceLevel: 1.2 }),
    ).toThrow(ForecastInputError);
  });
});

describe('AnalyticsUpdater default interval', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every 5 minutes unless told otherwise', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // The constructor only keeps store and read models; runOnce is replaced, so neither is used.
    const updater = new AnalyticsUpdater({ store: {} as never, readModels: {} as never });
    const runOnce = vi.spyOn(updater, 'runOnce').mockResolvedValue({} as never);
    updater.start();
    await vi.advanceTimersByTimeAsync(5 * 60_000 - 1);
    expect(runOnce).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runOnce).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(runOnce).toHaveBeenCalledTimes(2);
    await updater.stop();
  });
});
