/**
 * The capacity check's wiring: samples kept as events, planCapacity on the
 * daily peaks, the gauges and the default `capacity_predicted` rule. A
 * growing pool fires the signal; a flat one does not; impossible options
 * are refused with every issue listed.
 */
import { describe, expect, it } from 'vitest';
import { COMMERCE_EVENT_SCHEMAS } from '../../src/commerce/events/index.js';
import { CapacityConfigError } from '../../src/commerce/errors.js';
import { capacityCheckSchedule, runCapacityCheck } from '../../src/commerce/monitoring/capacity-check.js';
import { capacityGauges } from '../../src/commerce/monitoring/capacity-gauges.js';
import { CAPACITY_STREAM, dailyPeaks } from '../../src/commerce/monitoring/capacity-history.js';
import { resolveCapacityCheck } from '../../src/commerce/monitoring/capacity-options.js';
import { HOST_CAPACITY_RESOURCES } from '../../src/commerce/monitoring/host-window.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { createMetricsRegistry, libraryMetrics, METRIC } from '../../src/monitoring/index.js';
import { evaluateCapacityAlert } from './support/capacity-alerting.js';

const DAY = 86_400_000;
const START = Date.parse('2026-11-01T12:00:00Z');

async function simulate(inUseOnDay: (day: number) => number, days: number) {
  const store = createEventStore({ eventTypes: COMMERCE_EVENT_SCHEMAS });
  await store.migrate();
  const registry = createMetricsRegistry();
  const m = libraryMetrics(registry);
  m.poolMax.set(undefined, 100);
  const check = resolveCapacityCheck({ store, registry, metrics: m, everyMs: DAY });
  const results = [];
  for (let d = 0; d < days; d++) {
    m.poolConnections.set({ state: 'in_use' }, inUseOnDay(d));
    results.push(await runCapacityCheck(check, new Date(START + d * DAY)));
  }
  return { store, registry, results };
}

describe('the scheduled capacity check', () => {
  it('a growing pool is forecast to reach 70 %: the plan, one signal event, the gauges and the alert', async () => {
    // 20 connections growing by 2 a day out of 100: 60 on day 20, 70 % five days later.
    const { store, registry, results } = await simulate((d) => 20 + 2 * d, 21);
    const last = results.at(-1)!;
    // No host runs hostCapacitySampler here: its four resources are skipped, saying so.
    expect(last.skipped.map((s) => s.resource)).toEqual([
      'database_size',
      'db_connections',
      ...HOST_CAPACITY_RESOURCES,
    ]);
    expect(last.skipped.at(-1)!.reason).toMatch(/no host reported its resources in the last 48 h/);
    expect(last.skipped[0]!.reason).toMatch(/no SQL database/);
    // The log grows by the check's own event or two a day (from its position, through the EventStore port).
    expect(results[0]!.skipped.map((s) => s.resource)).toContain('event_log_daily');
    expect(last.samples.find((x) => x.resource === 'event_log_daily')).toMatchObject({ capacity: null });
    expect(last.samples.find((x) => x.resource === 'event_log_daily')!.value).toBeGreaterThanOrEqual(1);
    const plan = last.plans.find((p) => p.resource === 'pool_connections')!;
    expect(plan.scaleUp).toBe(true);
    expect(plan.historyDays).toBe(21);
    expect(plan.daysToThreshold).toBeGreaterThanOrEqual(1);
    expect(plan.daysToThreshold).toBeLessThanOrEqual(6);
    // Not planned before minHistoryDays (7) of history.
    expect(results[5]!.plans).toEqual([]);
    expect(results[5]!.waiting).toEqual({ pool_connections: 6 });

    const { events } = await store.readStream(CAPACITY_STREAM);
    expect(events.filter((e) => e.type === 'system.capacity_checked')).toHaveLength(21);
    // A level change is one signal, not one per check.
    const signals = events.filter((e) => e.type === 'system.capacity_threshold_predicted');
    expect(signals).toHaveLength(1);
    expect(signals[0]!.data).toMatchObject({ resource: 'pool_connections', capacity: 100, threshold: 0.7 });

    expect(registry.value(METRIC.capacityScaleUp, { resource: 'pool_connections' })).toBe(1);
    expect(registry.value(METRIC.capacityDaysToThreshold, { resource: 'pool_connections' })).toBe(
      plan.daysToThreshold,
    );
    expect(registry.value(METRIC.capacityUsage, { resource: 'pool_connections' })).toBeCloseTo(0.6);

    // Another host (the alert evaluator's, say) reads the newest check back from the log.
    const elsewhere = createMetricsRegistry();
    const gauges = capacityGauges({ metrics: libraryMetrics(elsewhere) });
    gauges.start({ store });
    await gauges.refresh();
    await gauges.stop();
    expect(elsewhere.value(METRIC.capacityScaleUp, { resource: 'pool_connections' })).toBe(1);
    expect(elsewhere.value(METRIC.capacityDaysToThreshold, { resource: 'pool_connections' })).toBe(
      plan.daysToThreshold,
    );

    const { transitions, sent } = await evaluateCapacityAlert(registry, store);
    expect(transitions).toEqual([
      [
        'alert.fired',
        expect.objectContaining({ alertname: 'capacity_predicted', resource: 'pool_connections' }),
      ],
    ]);
    expect(sent).toEqual(['dashboard:ops', 'email:dev@x']);
    await store.close();
  });

  it('a flat pool well below 70 % raises nothing', async () => {
    const { store, registry, results } = await simulate(() => 20, 21);
    const plan = results.at(-1)!.plans.find((p) => p.resource === 'pool_connections')!;
    expect(plan).toMatchObject({ scaleUp: false, reachesThresholdOn: null, daysToThreshold: null });
    expect(plan.p90Share).toBeLessThan(0.7);
    const { events } = await store.readStream(CAPACITY_STREAM);
    expect(events.some((e) => e.type === 'system.capacity_threshold_predicted')).toBe(false);
    expect(registry.value(METRIC.capacityScaleUp, { resource: 'pool_connections' })).toBe(0);
    expect(registry.value(METRIC.capacityDaysToThreshold, { resource: 'pool_connections' })).toBe(
      Number.POSITIVE_INFINITY,
    );
    await store.close();
  });

  it('a retried run of the same due time appends nothing twice', async () => {
    const store = createEventStore({ eventTypes: COMMERCE_EVENT_SCHEMAS });
    await store.migrate();
    const check = resolveCapacityCheck({ store });
    const at = new Date(START);
    await runCapacityCheck(check, at);
    await runCapacityCheck(check, at);
    expect((await store.readStream(CAPACITY_STREAM)).version).toBe(1);
    await store.close();
  });

  it('daily peaks: the day maximum, gaps carried forward, the window from its first sampled day', () => {
    const check = (iso: string, value: number) => ({
      checkedAt: iso,
      samples: [{ resource: 'database_size', value, capacity: 10 }],
      skipped: [],
      plans: [],
    });
    const series = dailyPeaks(
      [
        check('2026-11-01T01:00:00Z', 1),
        check('2026-11-01T13:00:00Z', 3),
        check('2026-11-01T23:00:00Z', 2),
        check('2026-11-03T05:00:00Z', 5),
      ],
      'database_size',
      90,
    );
    expect(series).toEqual({ startDate: '2026-11-01', usage: [3, 3, 5] });
    expect(dailyPeaks([check('2026-11-01T01:00:00Z', 1)], 'pool_connections', 90)).toBeNull();
  });

  it('refuses impossible options, listing every issue', () => {
    const store = createEventStore();
    let error: unknown;
    try {
      capacityCheckSchedule({
        store,
        capacities: { diskGb: -5, eventsPerDay: Number.NaN, connections: 2.5 },
        everyMs: 1_000,
        signalAt: 1.5,
        horizonDays: 0,
        historyDays: 3,
        minHistoryDays: 7,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CapacityConfigError);
    const e = error as CapacityConfigError;
    expect(e.code).toBe('INVALID_CAPACITY_CONFIG');
    expect(e.issues).toEqual([
      'capacities.diskGb: expected a positive number, got -5',
      'capacities.eventsPerDay: expected a positive number, got NaN',
      'capacities.connections: expected an integer, got 2.5',
      'everyMs: expected an integer from 60000 (a minute) to a week, got 1000',
      'signalAt: expected a share in (0, 1], got 1.5',
      'horizonDays: expected an integer in [1, 365], got 0',
      'historyDays: 3 is shorter than minHistoryDays 7',
    ]);
    expect(capacityCheckSchedule({ store })).toMatchObject({ name: 'capacity-check', every: 3_600_000 });
  });
});
