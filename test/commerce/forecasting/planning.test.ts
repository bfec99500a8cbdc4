/**
 * Stock-out dates, reorder plans, the accuracy ledger and the capacity signal,
 * all read from forecast distributions.
 */
import { describe, expect, it } from 'vitest';
import {
  ForecastInputError,
  ForecastLedger,
  forecastDemand,
  forecastStockout,
  planCapacity,
  planReorder,
  syntheticDemand,
} from '../../../src/commerce/forecasting/index.js';

const START = '2026-10-01';
/** Exactly 10 units a day for 90 days: every simulated future is 10 a day. */
const flat = forecastDemand({ sales: new Array<number>(90).fill(10), startDate: START });

describe('forecastStockout', () => {
  it('runs out on the day cumulative demand reaches the stock', () => {
    expect(flat.firstDate).toBe('2026-12-30');
    const s = forecastStockout(flat, 95);
    // 90 units by the end of day 9, 100 by the end of day 10 (index 9).
    expect(s.medianDate).toBe('2027-01-08');
    expect(s.p10Date).toBe('2027-01-08');
    expect(s.probabilityByDay[8]).toBe(0);
    expect(s.probabilityByDay[9]).toBe(1);
    expect(forecastStockout(flat, 10_000).medianDate).toBeNull();
    expect(forecastStockout(flat, 0).probabilityByDay[0]).toBe(1);
  });

  it('spreads the date when demand is uncertain, and never decreases in probability', () => {
    const f = forecastDemand({ sales: syntheticDemand('steady', 200, 8).sales, startDate: START });
    const s = forecastStockout(f, f.total.p50 / 2);
    expect(s.p10Date! <= s.medianDate!).toBe(true);
    expect(s.medianDate! <= s.p90Date!).toBe(true);
    for (let h = 1; h < s.probabilityByDay.length; h++) {
      expect(s.probabilityByDay[h]).toBeGreaterThanOrEqual(s.probabilityByDay[h - 1]!);
    }
  });
});

describe('planReorder', () => {
  it('says how many units to order by when, for a service level', () => {
    const plan = planReorder(flat, { available: 100, leadTimeDays: 3, reviewDays: 7, serviceLevel: 0.95 });
    // Ordering on day 8 would arrive on day 11, after the 100 units (10 days) are gone: order by day 7.
    expect(plan.reorder).toBe(true);
    expect(plan.orderBy).toBe('2027-01-06');
    expect(plan.urgent).toBe(false);
    // Cover through arrival (day 10) plus a review week: 17 days × 10 − 100 on hand.
    expect(plan.quantity).toBe(70);
    // A flat week and year: no seasonal adjustment to name.
    expect(plan.message).toBe(
      'reorder 70 units by 2027-01-06 (lead time 3 days) to keep a 95 % chance of not stocking out',
    );
  });

  it('names the lead time and service level in words, and an urgent order as one', () => {
    // Order by day 8 (arrives day 9, as the 100 units run out); cover 8 + 1 + 7 = 17 days × 10 − 100.
    const oneDay = planReorder(flat, { available: 100, leadTimeDays: 1, serviceLevel: 0.9 });
    expect(oneDay.message).toBe(
      'reorder 70 units by 2027-01-08 (lead time 1 day) to keep a 90 % chance of not stocking out',
    );
    const late = planReorder(flat, { available: 5, leadTimeDays: 3 });
    expect(late.message).toBe(
      'reorder 95 units now (lead time 3 days): even an order today leaves more than a 5 % risk of stocking out before it arrives',
    );
  });

  it('makes the seasonal adjustment visible in the sentence', () => {
    const f = forecastDemand({ sales: syntheticDemand('seasonal', 300, 12).sales, startDate: START });
    const plan = planReorder(f, { available: 10, leadTimeDays: 2, reviewDays: 3 });
    const units = Math.round(plan.seasonalAdjustmentUnits);
    expect(units).not.toBe(0);
    const sign = units > 0 ? '+' : '−';
    expect(plan.message).toMatch(
      new RegExp(
        `^reorder ${plan.quantity} units (by ${plan.orderBy} \\(lead time 2 days\\) to keep a 95 % chance of not stocking out|now \\(lead time 2 days\\): .+); ` +
          `seasonal adjustment \\${sign}${Math.abs(units)} units over the \\d+ days covered$`,
      ),
    );
  });

  it('rounds to packs, counts stock on order, and says when no order is needed', () => {
    const packed = planReorder(flat, { available: 100, leadTimeDays: 3, packSize: 25 });
    expect(packed.quantity).toBe(75);
    const covered = planReorder(flat, { available: 100, onOrder: 400, leadTimeDays: 3 });
    expect(covered.reorder).toBe(false);
    expect(covered.quantity).toBe(0);
    expect(covered.message).toMatch(/^no reorder needed/);
    const late = planReorder(flat, { available: 5, leadTimeDays: 3 });
    expect(late.urgent).toBe(true);
    expect(late.orderBy).toBe(flat.firstDate);
  });

  it('orders earlier and more for a higher service level', () => {
    const f = forecastDemand({ sales: syntheticDemand('steady', 200, 5).sales, startDate: START });
    const input = { available: f.total.p50 / 3, leadTimeDays: 4 };
    const relaxed = planReorder(f, { ...input, serviceLevel: 0.8 });
    const strict = planReorder(f, { ...input, serviceLevel: 0.99 });
    expect(strict.orderBy! <= relaxed.orderBy!).toBe(true);
    expect(strict.quantity).toBeGreaterThan(relaxed.quantity);
  });

  it('shows the seasonal adjustment of a seasonal seller', () => {
    const f = forecastDemand({ sales: syntheticDemand('seasonal', 300, 12).sales, startDate: START });
    const plan = planReorder(f, { available: 10, leadTimeDays: 2, reviewDays: 3 });
    const weekdays = Object.values(f.seasonality.byWeekday);
    expect(Math.max(...weekdays) - Math.min(...weekdays)).toBeGreaterThan(1);
    expect(plan.seasonalAdjustmentUnits).not.toBe(0);
    expect(planReorder(flat, { available: 10, leadTimeDays: 2 }).seasonalAdjustmentUnits).toBe(0);
  });

  it('shows what the yearly index adds in the season and takes in the trough', () => {
    // Two-year `seasonal_yearly` sellers whose forecast carries the yearly index:
    // seed 3 forecasts into its swell, seed 2 into its trough.
    const plans = [3, 2].map((seed) => {
      const sales = syntheticDemand('seasonal_yearly', 730, seed).sales.slice(0, 700);
      const f = forecastDemand({ sales, startDate: '2025-01-01' }, { paths: 200 });
      expect(f.parameters.yearlyAmplitude, `seed ${seed}`).toBeGreaterThan(0.5);
      expect(f.seasonality.yearlyByDay).toHaveLength(30);
      const yearly = f.seasonality.yearlyByDay.slice(0, 14).reduce((a, b) => a + b, 0);
      return { yearly, plan: planReorder(f, { available: 10, leadTimeDays: 7, reviewDays: 7 }) };
    });
    expect(plans[0]!.yearly).toBeGreaterThan(50);
    expect(plans[0]!.plan.seasonalAdjustmentUnits).toBeGreaterThan(50);
    expect(plans[0]!.plan.message).toMatch(/; seasonal adjustment \+\d{2,} units over the 14 days covered$/);
    expect(plans[1]!.yearly).toBeLessThan(-50);
    expect(plans[1]!.plan.seasonalAdjustmentUnits).toBeLessThan(-50);
    expect(plans[1]!.plan.message).toMatch(/; seasonal adjustment −\d{2,} units over the 14 days covered$/);
    // Without a yearly index the yearly part is zero.
    expect(flat.seasonality.yearlyByDay.every((u) => u === 0)).toBe(true);
  });

  it.each([
    ['serviceLevel', { available: 1, leadTimeDays: 1, serviceLevel: 1 }],
    ['leadTimeDays', { available: 1, leadTimeDays: -1 }],
    ['available', { available: -1, leadTimeDays: 1 }],
    ['packSize', { available: 1, leadTimeDays: 1, packSize: 0 }],
  ])('refuses a bad %s', (field, input) => {
    expect(() => planReorder(flat, input)).toThrow(ForecastInputError);
    try {
      planReorder(flat, input);
    } catch (err) {
      expect((err as ForecastInputError).field).toBe(field);
    }
  });
});

describe('ForecastLedger', () => {
  it('scores kept forecasts against what sold once their days have passed', () => {
    const ledger = new ForecastLedger();
    const f = forecastDemand({ sales: new Array<number>(60).fill(10), startDate: START }, { horizon: 3 });
    ledger.keep('p-1', f);
    ledger.keep('p-2', f);
    const [d1, d2, d3] = f.days.map((d) => d.date);
    for (const date of [d1!, d2!, d3!]) ledger.observe('p-1', date, 10);
    // p-2 sold 40 % more than forecast, and one day is not yet reported.
    ledger.observe('p-2', d1!, 14);
    ledger.observe('p-2', d2!, 14);
    expect(ledger.figures(d3!).scored).toBe(0);
    const partial = ledger.figures('2030-01-01');
    expect(partial.scored).toBe(1);
    expect(partial.within20Pct).toBe(1);
    expect(partial.coverage80).toBe(1);
    ledger.observe('p-2', d3!, 14);
    const full = ledger.figures('2030-01-01');
    expect(full.scored).toBe(2);
    expect(full.within20Pct).toBe(0.5);
    expect(full.coverage80).toBe(0.5);
    expect(full.totalMape).toBeCloseTo((0 + 12 / 42) / 2, 10);
    expect(() => ledger.observe('p-1', d1!, -3)).toThrow(ForecastInputError);
  });
});

describe('ForecastLedger coverage of zero days', () => {
  it('counts a zero day on the forecast atom at zero in part (nonrandomized PIT)', () => {
    const ledger = new ForecastLedger();
    const day = { mean: 0.5, p10: 0, p90: 2 };
    ledger.keepSummary({
      productId: 'p-1',
      firstDate: '2026-12-01',
      method: 'tsb',
      // 70 % of futures sell nothing: a zero day has PIT [0, 0.7], 0.6 / 0.7 of it inside [0.1, 0.9].
      days: [
        { date: '2026-12-01', ...day, pZero: 0.7 },
        { date: '2026-12-02', ...day, pZero: 0.7 },
      ],
    });
    // A row kept without pZero scores by the closed interval, as before.
    ledger.keepSummary({
      productId: 'p-2',
      firstDate: '2026-12-01',
      method: 'tsb',
      days: [{ date: '2026-12-01', ...day }],
    });
    ledger.observe('p-1', '2026-12-01', 0);
    ledger.observe('p-1', '2026-12-02', 1);
    ledger.observe('p-2', '2026-12-01', 0);
    expect(ledger.figures('2026-12-10').coverage80).toBeCloseTo((0.6 / 0.7 + 1 + 1) / 3, 12);
  });

  it('keeps the chance of a zero day from the sample paths', () => {
    const sparse = Array.from({ length: 120 }, (_, t) => (t % 5 === 0 ? 3 : 0));
    const f = forecastDemand({ sales: sparse, startDate: START }, { horizon: 5, methods: ['tsb'] });
    const ledger = new ForecastLedger();
    const kept = ledger.keep('p-1', f);
    for (const d of kept.days) {
      expect(d.pZero).toBeGreaterThan(0.6);
      expect(d.pZero).toBeLessThan(0.95);
    }
  });
});

describe('planCapacity', () => {
  it('signals a scale-up when predicted use reaches 70 % of capacity', () => {
    // Database size growing 1 GB a day from 300 GB, capacity 500 GB: 350 GB (70 %) on day 50.
    const usage = Array.from({ length: 40 }, (_, t) => 300 + t);
    const signal = planCapacity({ metric: 'database_size', usage, startDate: START, capacity: 500 });
    expect(signal.scaleUp).toBe(true);
    expect(signal.reachesThresholdOn).not.toBeNull();
    expect(signal.reachesThresholdOn! >= '2026-11-10').toBe(true);
    const calm = planCapacity({
      metric: 'cpu_usage',
      usage: new Array<number>(40).fill(30),
      startDate: START,
      capacity: 100,
    });
    expect(calm.scaleUp).toBe(false);
    expect(calm.predictedShare.p50).toBeCloseTo(0.3, 5);
    expect(() => planCapacity({ metric: 'x', usage, startDate: START, capacity: 0 })).toThrow(
      ForecastInputError,
    );
  });
});
