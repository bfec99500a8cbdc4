import { describe, expect, it } from 'vitest';
import { COMMERCE_EVENT_SCHEMAS } from '../../src/commerce/events/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { createHealthSignals } from '../../src/commerce/monitoring/health-signals.js';
import { createMetricsRegistry, libraryMetrics, recordApiCall } from '../../src/monitoring/index.js';

describe('health signals from measurements', () => {
  it('appends a valid health check per component and threshold events only when the level changes', async () => {
    const store = createEventStore({ eventTypes: COMMERCE_EVENT_SCHEMAS });
    await store.migrate();
    const registry = createMetricsRegistry();
    const m = libraryMetrics(registry);
    const signals = createHealthSignals({
      registry,
      intervalMs: 60_000,
      now: () => new Date('2026-11-30T10:00:00Z'),
    });
    signals.start({ store });
    try {
      m.processorLagEvents.set({ processor: 'order_metrics' }, 150); // above the warning depth of 100
      recordApiCall(m, {
        api: 'tiktok',
        status: 200,
        durationMs: 80,
        headers: { 'x-ratelimit-remaining': '3', 'x-ratelimit-limit': '100' },
      });
      m.sagaOutcomes.inc({ definition: 'fulfillment', outcome: 'completed' }, 9);
      m.sagaOutcomes.inc({ definition: 'fulfillment', outcome: 'compensated' });
      m.consistencyChecks.inc({ check: 'stock', result: 'ok' }, 199);
      m.consistencyChecks.inc({ check: 'stock', result: 'failed' });
      m.conflicts.inc({ outcome: 'resolved' }, 2);
      const first = await signals.check();
      const checks = first
        .filter((e) => e.type === 'system.health_check_completed')
        .map((e) => e.data as { component: string; status: string; measurements: Record<string, number> });
      expect(checks.map((c) => c.component)).toEqual([
        'tiktok_api',
        'order_processing',
        'inventory_sync',
        'automation_health',
      ]);
      const by = Object.fromEntries(checks.map((c) => [c.component, c]));
      expect(by['order_processing']).toMatchObject({ status: 'warning', measurements: { queue_depth: 150 } });
      expect(by['tiktok_api']!.measurements['rate_limit_headroom']).toBe(0.03);
      expect(by['tiktok_api']!.status).toBe('critical');
      expect(by['automation_health']!.measurements['success_rate']).toBe(0.9);
      expect(by['inventory_sync']!.measurements['stock_accuracy']).toBe(0.995);
      expect(by['inventory_sync']!.measurements['conflict_frequency_per_hour']).toBe(120); // 2 in a 60 s interval
      const exceeded = first
        .filter((e) => e.type === 'system.performance_threshold_exceeded')
        .map((e) => (e.data as { metric: string }).metric);
      expect(exceeded).toEqual(
        expect.arrayContaining(['rate_limit_headroom', 'queue_depth', 'success_rate', 'stock_accuracy']),
      );
      expect(first.filter((e) => e.type === 'system.api_rate_limit_approached')).toHaveLength(1);
      // Same levels a minute later: health rows again, no new threshold events.
      const second = await signals.check();
      expect(
        second
          .filter((e) => e.type === 'system.performance_threshold_exceeded')
          .map((e) => (e.data as { metric: string }).metric),
      ).toEqual([]);
      m.processorLagEvents.set({ processor: 'order_metrics' }, 5000); // warning → critical is news
      const third = await signals.check();
      expect(
        third
          .filter((e) => e.type === 'system.performance_threshold_exceeded')
          .map((e) => (e.data as { metric: string; severity: string }).severity),
      ).toEqual(['critical']);
      const { events } = await store.readStream('system-health-order_processing');
      expect(events.length).toBeGreaterThan(3); // appended through the store's schema validation
    } finally {
      await signals.stop();
      await store.close();
    }
  });

  it('checks every interval on the runtime poll loop, and stop() waits for the check in flight', async () => {
    const store = createEventStore({ eventTypes: COMMERCE_EVENT_SCHEMAS });
    await store.migrate();
    const signals = createHealthSignals({ registry: createMetricsRegistry(), intervalMs: 5 });
    // Hold the first interval's check inside its append until released.
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let appended = 0;
    const append = store.append.bind(store);
    store.append = (async (...args: Parameters<typeof store.append>) => {
      entered();
      await gate;
      const result = await append(...args);
      appended += 1;
      return result;
    }) as typeof store.append;
    signals.start({ store });
    await inFlight;
    let stopped = false;
    const stopping = signals.stop().then(() => (stopped = true));
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false); // the check is still held: stop() has not returned
    release();
    await stopping;
    expect(appended).toBe(4); // that check ran to its end (one health row per component) before stop() resolved
    await store.close();
  });
});
