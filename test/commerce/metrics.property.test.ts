/**
 * Laws of the pure commerce calculations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  HEALTH_STATUSES,
  SALES_HISTORY_HOURS,
  advanceSalesHistory,
  automationHealthPct,
  componentHealth,
  conversionRate,
  detectVelocityAnomaly,
  emptySalesHistory,
  hourOf,
  measurementStatus,
  processingStats,
  recordSale,
  salesVelocity,
  suggestReorder,
  timeToStockout,
  type SalesHistory,
} from '../../src/commerce/index.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 2, 1, 12, 30);

/** Sales within the history window before NOW: [msAgo, units]. */
const sales = fc.array(
  fc.tuple(fc.integer({ min: 0, max: (SALES_HISTORY_HOURS - 1) * HOUR }), fc.integer({ min: 1, max: 50 })),
  {
    maxLength: 60,
  },
);

function historyOf(list: readonly (readonly [number, number])[], scale = 1): SalesHistory {
  let h = emptySalesHistory(NOW - SALES_HISTORY_HOURS * HOUR);
  // Sales of the hour NOW is in and the 47 before it.
  for (const [ago, units] of list)
    h = recordSale(h, Math.max(NOW - ago, hourOf(NOW - 47 * HOUR) * HOUR), units * scale);
  return advanceSalesHistory(h, NOW);
}

const uniform = (perHour: number): SalesHistory => ({
  endHour: hourOf(NOW),
  buckets: new Array<number>(SALES_HISTORY_HOURS).fill(perHour),
});

describe('sales history', () => {
  it('keeps every unit sold within the window, whatever the arrival order', () => {
    fc.assert(
      fc.property(sales, fc.func(fc.integer()), (list, f) => {
        const shuffled = [...list].sort((a, b) => f(a[0]) - f(b[0]) || a[0] - b[0]);
        const a = historyOf(list);
        const b = historyOf(shuffled);
        expect(b).toEqual(a);
        expect(a.buckets.reduce((x, y) => x + y, 0)).toBe(list.reduce((x, [, u]) => x + u, 0));
      }),
    );
  });

  it('drops sales older than the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: SALES_HISTORY_HOURS, max: 500 }),
        fc.integer({ min: 1, max: 9 }),
        (hoursAgo, units) => {
          const h = recordSale(emptySalesHistory(NOW), NOW - hoursAgo * HOUR, units);
          expect(h.buckets.every((b) => b === 0)).toBe(true);
        },
      ),
    );
  });
});

describe('sales velocity', () => {
  it('is non-negative and scales linearly with the units sold', () => {
    fc.assert(
      fc.property(sales, fc.integer({ min: 2, max: 5 }), (list, k) => {
        const v = salesVelocity(historyOf(list), NOW);
        const scaled = salesVelocity(historyOf(list, k), NOW);
        expect(v.perHour).toBeGreaterThanOrEqual(0);
        expect(scaled.perHour).toBeCloseTo(v.perHour * k, 9);
        expect(scaled.trend).toBe(v.trend);
      }),
    );
  });

  it('is flat for a steady rate and points the way the rate moves', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 2, max: 10 }), (rate, factor) => {
        expect(salesVelocity(uniform(rate), NOW)).toMatchObject({
          perHour: rate,
          trend: 'flat',
          trendPct: 0,
        });
        const rising = uniform(rate);
        for (let i = SALES_HISTORY_HOURS - 6; i < SALES_HISTORY_HOURS; i++) rising.buckets[i] = rate * factor;
        expect(salesVelocity(rising, NOW).trend).toBe('up');
        const falling = uniform(rate * factor);
        for (let i = SALES_HISTORY_HOURS - 6; i < SALES_HISTORY_HOURS; i++) falling.buckets[i] = rate;
        expect(salesVelocity(falling, NOW).trend).toBe('down');
      }),
    );
  });
});

describe('time to stock-out', () => {
  it('brackets its estimate with the confidence interval', () => {
    fc.assert(
      fc.property(sales, fc.integer({ min: 1, max: 10_000 }), (list, available) => {
        const p = timeToStockout(available, historyOf(list), NOW);
        if (p.hours === null) {
          expect(p.ratePerHour).toBe(0);
          return;
        }
        expect(p.low!).toBeGreaterThan(0);
        expect(p.low!).toBeLessThanOrEqual(p.hours);
        if (p.high !== null) expect(p.high).toBeGreaterThanOrEqual(p.hours);
      }),
    );
  });

  it('lasts longer with more stock and shorter with faster sales, and is zero when sold out', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        (rate, a, extra) => {
          const slow = timeToStockout(a, uniform(rate), NOW);
          expect(timeToStockout(a + extra, uniform(rate), NOW).hours!).toBeGreaterThan(slow.hours!);
          expect(timeToStockout(a, uniform(rate + 1), NOW).hours!).toBeLessThan(slow.hours!);
          expect(timeToStockout(-a, uniform(rate), NOW)).toMatchObject({ hours: 0, low: 0, high: 0 });
        },
      ),
    );
  });

  it('widens, never narrows, with a higher confidence level', () => {
    fc.assert(
      fc.property(sales, fc.integer({ min: 1, max: 1000 }), (list, available) => {
        const h = historyOf(list);
        const p80 = timeToStockout(available, h, NOW, { confidence: 0.8 });
        const p99 = timeToStockout(available, h, NOW, { confidence: 0.99 });
        if (p80.hours === null) return;
        expect(p99.low!).toBeLessThanOrEqual(p80.low!);
        if (p80.high === null) expect(p99.high).toBeNull();
        else if (p99.high !== null) expect(p99.high).toBeGreaterThanOrEqual(p80.high);
      }),
    );
  });
});

describe('velocity anomalies', () => {
  it('never flags a steady rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (rate) => {
        expect(detectVelocityAnomaly(uniform(rate), NOW).kind).toBeNull();
      }),
    );
  });

  it('flags a burst well above the trailing baseline as a spike', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 3, max: 20 }), (base, factor) => {
        const h = uniform(base);
        const burst = Math.max(4, base * factor);
        for (let i = SALES_HISTORY_HOURS - 3; i < SALES_HISTORY_HOURS; i++) h.buckets[i] = burst;
        const a = detectVelocityAnomaly(h, NOW);
        expect(a.kind).toBe('spike');
        expect(a.recentPerHour).toBeGreaterThan(a.baselinePerHour);
      }),
    );
  });
});

describe('reorder suggestion', () => {
  const input = fc.record({
    available: fc.integer({ min: -50, max: 5000 }),
    velocityPerHour: fc.double({ min: 0, max: 100, noNaN: true }),
    threshold: fc.integer({ min: 0, max: 500 }),
  });
  const opts = fc.record({
    packSize: fc.integer({ min: 1, max: 48 }),
    minOrderQuantity: fc.integer({ min: 1, max: 200 }),
  });

  it('orders whole packs that bring stock up to the target, only at or below the reorder point', () => {
    fc.assert(
      fc.property(input, opts, (i, o) => {
        const s = suggestReorder(i, o);
        expect(s.shouldReorder).toBe(i.available <= s.reorderPoint && s.targetLevel > 0);
        if (!s.shouldReorder) {
          expect(s.suggestedQuantity).toBe(0);
          return;
        }
        expect(s.suggestedQuantity % o.packSize).toBe(0);
        expect(s.suggestedQuantity).toBeGreaterThanOrEqual(o.minOrderQuantity);
        expect(i.available + s.suggestedQuantity).toBeGreaterThanOrEqual(s.targetLevel);
      }),
    );
  });

  it('suggests at least as much for faster sales', () => {
    fc.assert(
      fc.property(input, fc.double({ min: 0, max: 50, noNaN: true }), (i, more) => {
        const a = suggestReorder(i);
        const b = suggestReorder({ ...i, velocityPerHour: i.velocityPerHour + more });
        expect(b.suggestedQuantity).toBeGreaterThanOrEqual(a.suggestedQuantity);
      }),
    );
  });
});

describe('system health', () => {
  const component = fc.constantFrom(
    'tiktok_api',
    'order_processing',
    'inventory_sync',
    'automation_health' as const,
  );

  it('is the worst status of the measurements with a threshold, ignoring the others', () => {
    fc.assert(
      fc.property(
        component,
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }),
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        ),
        (c, extra) => {
          const limits = DEFAULT_HEALTH_THRESHOLDS[c];
          const known = Object.fromEntries(Object.keys(limits).map((k, i) => [k, (i + 1) * 0.37]));
          const measured = { ...extra, ...known };
          const worst = Object.entries(known)
            .map(([k, v]) => HEALTH_STATUSES.indexOf(measurementStatus(v, limits[k]!)))
            .reduce((a, b) => Math.max(a, b), 0);
          expect(componentHealth(c, measured).status).toBe(HEALTH_STATUSES[worst]);
        },
      ),
    );
  });

  it('never improves when a measurement gets worse', () => {
    fc.assert(
      fc.property(
        component,
        fc.nat(),
        fc.double({ min: -1e5, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        (c, pick, value, delta) => {
          const names = Object.keys(DEFAULT_HEALTH_THRESHOLDS[c]);
          const name = names[pick % names.length]!;
          const t = DEFAULT_HEALTH_THRESHOLDS[c][name]!;
          const worse = t.direction === 'above' ? value + delta : value - delta;
          const before = HEALTH_STATUSES.indexOf(componentHealth(c, { [name]: value }).status);
          const after = HEALTH_STATUSES.indexOf(componentHealth(c, { [name]: worse }).status);
          expect(after).toBeGreaterThanOrEqual(before);
        },
      ),
    );
  });
});

describe('order metrics and revenue', () => {
  it('keeps percentages within 0–100', () => {
    fc.assert(
      fc.property(fc.nat(1e6), fc.nat(1e6), (a, b) => {
        const pct = automationHealthPct(a, b);
        if (a + b === 0) expect(pct).toBeNull();
        else expect(pct! >= 0 && pct! <= 100).toBe(true);
        const conv = conversionRate(Math.min(a, b), Math.max(a, b));
        if (Math.max(a, b) === 0) expect(conv).toBeNull();
        else expect(conv! >= 0 && conv! <= 100).toBe(true);
      }),
    );
  });

  it('averages the newest window and reports faster processing as down', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1000, max: 100_000 }), { minLength: 20, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 20 }),
        (before, recent) => {
          const s = processingStats([...before, ...recent], recent.length);
          expect(s.avgMs!).toBeGreaterThanOrEqual(Math.min(...recent));
          expect(s.avgMs!).toBeLessThanOrEqual(Math.max(...recent));
          expect(s.trend).toBe('down');
          expect(s.changePct!).toBeLessThan(0);
        },
      ),
    );
  });
});
