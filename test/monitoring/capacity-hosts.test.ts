/**
 * Host resources in capacity planning: every host's sampler turns scripted
 * readings (no CPU burnt, no sleeps: the probe and the clock are injected)
 * into per-minute samples and an hourly peak/p95 report; the capacity check
 * plans each host's figures. A host whose memory keeps rising is forecast to
 * reach 70 % of its limit (an event and the `capacity_predicted` alert for
 * that host); a flat host raises nothing; impossible limits are refused.
 */
import { describe, expect, it } from 'vitest';
import { CapacityConfigError } from '../../src/commerce/errors.js';
import { COMMERCE_EVENT_SCHEMAS } from '../../src/commerce/events/index.js';
import { runCapacityCheck } from '../../src/commerce/monitoring/capacity-check.js';
import { recordCapacityGauges } from '../../src/commerce/monitoring/capacity-gauges.js';
import { CAPACITY_STREAM, type CapacityCheck } from '../../src/commerce/monitoring/capacity-history.js';
import { resolveCapacityCheck } from '../../src/commerce/monitoring/capacity-options.js';
import {
  hostCapacitySampler,
  HOST_CAPACITY_STREAM,
} from '../../src/commerce/monitoring/host-capacity-sampler.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { createMetricsRegistry, libraryMetrics, METRIC } from '../../src/monitoring/index.js';
import { evaluateCapacityAlert } from './support/capacity-alerting.js';
import { GB, MINUTE, scriptedHost } from './support/scripted-host.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const START = Date.parse('2026-11-01T12:00:00Z');

/** `days` daily checks; before each, the host lives the hour before it: 60 samples and a report. */
async function simulate(rssOnDay: (day: number) => number, days: number) {
  const store = createEventStore({ eventTypes: COMMERCE_EVENT_SCHEMAS });
  await store.migrate();
  const registry = createMetricsRegistry();
  const check = resolveCapacityCheck({ store, metrics: libraryMetrics(registry), everyMs: DAY });
  const host = scriptedHost();
  let now = START - HOUR;
  const sampler = hostCapacitySampler({ host: 'api-1', probe: host.probe, now: () => now });
  sampler.start({ store });
  const results = [];
  try {
    for (let d = 0; d < days; d++) {
      now = START + d * DAY - HOUR;
      sampler.sample(); // the deltas start here (the day's first sample)
      await sampler.report(); // the previous day's leftovers are not this hour's
      for (let m = 1; m <= 60; m++) {
        now += MINUTE;
        // A short burst at minute 30: the CPU plan reads the p95, not the burst.
        host.minute(m === 30 ? 1.8 : 0.2, 0.1, rssOnDay(d) - (60 - m) * 1e6);
        sampler.sample();
      }
      await sampler.report();
      results.push(await runCapacityCheck(check, new Date(START + d * DAY)));
    }
  } finally {
    await sampler.stop();
  }
  return { store, registry, results };
}

const planOf = (r: CapacityCheck, resource: string) =>
  r.plans.find((p) => p.resource === resource && p.host === 'api-1');

describe('host resources in the capacity check', () => {
  it('a host whose memory keeps rising is forecast to reach 70 % of its limit: one event and the alert', async () => {
    // 1 GB growing by 60 MB a day out of a 4 GB cgroup limit: 55 % on day 20, 70 % ten days later.
    const { store, registry, results } = await simulate((d) => 1 * GB + d * 60e6, 21);
    const last = results.at(-1)!;
    const sample = (resource: string) =>
      last.samples.find((s) => s.resource === resource && s.host === 'api-1');
    // The hour's peak resident set against the limit; CPU is the p95 of the per-minute cores, not the burst.
    expect(sample('host_memory')).toEqual({
      resource: 'host_memory',
      host: 'api-1',
      value: 2.2 * GB,
      capacity: 4 * GB,
    });
    expect(sample('host_cpu')!.value).toBeCloseTo(0.2);
    expect(sample('host_cpu')!.capacity).toBe(2);
    expect(sample('host_event_loop')!.value).toBeCloseTo(0.1);
    expect(sample('host_heap')).toMatchObject({ value: 100e6, capacity: 2 * GB });
    expect(results[5]!.waiting).toMatchObject({ 'host_memory@api-1': 6 });

    const memory = planOf(last, 'host_memory')!;
    expect(memory.scaleUp).toBe(true);
    expect(memory.daysToThreshold).toBeGreaterThanOrEqual(1);
    expect(memory.daysToThreshold).toBeLessThanOrEqual(12);
    for (const flat of ['host_cpu', 'host_event_loop', 'host_heap'])
      expect(planOf(last, flat)!.scaleUp).toBe(false);

    const { events } = await store.readStream(CAPACITY_STREAM);
    const signals = events.filter((e) => e.type === 'system.capacity_threshold_predicted');
    expect(signals.map((e) => e.data)).toEqual([
      expect.objectContaining({ resource: 'host_memory', host: 'api-1', capacity: 4 * GB, threshold: 0.7 }),
    ]);
    const reports = await store.readStream(HOST_CAPACITY_STREAM);
    expect(reports.events.at(-1)!.data).toMatchObject({
      host: 'api-1',
      samples: 60,
      limits: { coresFrom: 'host', memoryFrom: 'cgroup v2' },
    });

    const labels = { resource: 'host_memory', host: 'api-1' };
    expect(registry.value(METRIC.capacityScaleUp, labels)).toBe(1);
    expect(registry.value(METRIC.capacityUsage, labels)).toBeCloseTo(0.55);
    expect(registry.value(METRIC.capacityScaleUp, { resource: 'host_cpu', host: 'api-1' })).toBe(0);

    const { transitions, sent } = await evaluateCapacityAlert(registry, store);
    expect(transitions).toEqual([
      ['alert.fired', expect.objectContaining({ alertname: 'capacity_predicted', ...labels })],
    ]);
    expect(sent).toEqual(['dashboard:ops', 'email:dev@x']);
    await store.close();
  });

  it('a host with flat memory raises nothing', async () => {
    const { store, registry, results } = await simulate(() => 1 * GB, 21);
    const last = results.at(-1)!;
    for (const resource of ['host_cpu', 'host_event_loop', 'host_memory', 'host_heap']) {
      expect(planOf(last, resource)).toMatchObject({ scaleUp: false, daysToThreshold: null });
    }
    const { events } = await store.readStream(CAPACITY_STREAM);
    expect(events.some((e) => e.type === 'system.capacity_threshold_predicted')).toBe(false);
    expect(registry.value(METRIC.capacityScaleUp)).toBe(0);
    const { transitions } = await evaluateCapacityAlert(registry, store);
    expect(transitions).toEqual([]);
    await store.close();
  });

  it('plans every host on its own, and a host that stopped reporting leaves the gauges', async () => {
    const store = createEventStore({ eventTypes: COMMERCE_EVENT_SCHEMAS });
    await store.migrate();
    let now = START - 30 * MINUTE;
    const hosts = ['api-1', 'api-2'].map((name, i) => {
      const host = scriptedHost({ cores: 2, memoryBytes: (i + 1) * GB });
      return { host, sampler: hostCapacitySampler({ host: name, probe: host.probe, now: () => now }) };
    });
    for (const { sampler } of hosts) sampler.start({ store });
    for (const { host, sampler } of hosts) {
      host.minute(0.5, 0.2, 0.5 * GB);
      sampler.sample();
      await sampler.report();
    }
    const check = resolveCapacityCheck({ store });
    const first = await runCapacityCheck(check, new Date(START));
    const memory = first.samples.filter((s) => s.resource === 'host_memory');
    expect(memory).toEqual([
      { resource: 'host_memory', host: 'api-1', value: 0.5 * GB, capacity: 1 * GB },
      { resource: 'host_memory', host: 'api-2', value: 0.5 * GB, capacity: 2 * GB },
    ]);

    const registry = createMetricsRegistry();
    const m = libraryMetrics(registry);
    recordCapacityGauges(m, {
      ...first,
      plans: [
        {
          resource: 'host_memory',
          host: 'api-2',
          scaleUp: true,
          reachesThresholdOn: '2026-11-05',
          daysToThreshold: 4,
          threshold: 0.7,
          p50Share: 0.6,
          p90Share: 0.8,
          historyDays: 7,
        },
      ],
    });
    expect(registry.value(METRIC.capacityScaleUp, { host: 'api-2' })).toBe(1);
    // api-2 stops; two check intervals later only api-1 reports.
    await Promise.all(hosts.map(({ sampler }) => sampler.stop()));
    now = START + 2 * HOUR + 30 * MINUTE;
    hosts[0]!.sampler.start({ store });
    hosts[0]!.host.minute(0.5, 0.2, 0.6 * GB);
    hosts[0]!.sampler.sample();
    await hosts[0]!.sampler.report();
    await hosts[0]!.sampler.stop();
    const later = await runCapacityCheck(check, new Date(START + 3 * HOUR));
    expect([...new Set(later.samples.filter((s) => s.host).map((s) => s.host))]).toEqual(['api-1']);
    recordCapacityGauges(m, later);
    expect(registry.value(METRIC.capacityScaleUp, { host: 'api-2' })).toBe(0);
    expect(registry.value(METRIC.capacityDaysToThreshold, { host: 'api-2' })).toBe(Number.POSITIVE_INFINITY);
    await store.close();
  });

  it('the first sample only primes the CPU and event-loop deltas; configured limits win', async () => {
    const store: EventStore = createEventStore({ eventTypes: COMMERCE_EVENT_SCHEMAS });
    await store.migrate();
    let now = START;
    const host = scriptedHost();
    const sampler = hostCapacitySampler({
      host: 'api-1',
      probe: host.probe,
      now: () => now,
      limits: { cores: 1.5, memoryBytes: 3 * GB },
    });
    expect(await sampler.report()).toBeNull(); // not started: no store
    sampler.start({ store });
    host.state.rss = 0.3 * GB;
    let report = await sampler.report();
    expect(report!.resources.map((r) => r.resource)).toEqual(['host_memory', 'host_heap']);
    now += MINUTE;
    host.minute(0.75, 0.5, 0.4 * GB);
    sampler.sample();
    report = await sampler.report();
    await sampler.stop();
    expect(report).toMatchObject({
      host: 'api-1',
      samples: 1,
      limits: { coresFrom: 'configured', memoryFrom: 'configured' },
    });
    expect(report!.resources).toEqual([
      { resource: 'host_cpu', value: 0.75, peak: 0.75, p95: 0.75, capacity: 1.5 },
      { resource: 'host_event_loop', value: 0.5, peak: 0.5, p95: 0.5, capacity: 1 },
      { resource: 'host_memory', value: 0.4 * GB, peak: 0.4 * GB, p95: 0.4 * GB, capacity: 3 * GB },
      { resource: 'host_heap', value: 100e6, peak: 100e6, p95: 100e6, capacity: 2 * GB },
    ]);
    // Nothing sampled since: nothing to report, nothing appended.
    expect(await sampler.report()).toBeNull();
    expect((await store.readStream(HOST_CAPACITY_STREAM)).version).toBe(2);
    await store.close();
  });

  it('refuses impossible limits and intervals, listing every issue', () => {
    let error: unknown;
    try {
      hostCapacitySampler({
        host: 'api 1',
        limits: { memoryBytes: 0, cores: Number.NaN, gpus: 1 } as never,
        sampleEveryMs: 500,
        reportEveryMs: 1_000,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CapacityConfigError);
    expect((error as CapacityConfigError).code).toBe('INVALID_CAPACITY_CONFIG');
    expect((error as CapacityConfigError).issues).toEqual([
      'host: "api 1" is not a host name (letters, digits, _ . : -; 128 at most)',
      'reportEveryMs: expected an integer from 60000 (a minute) to a day, got 1000',
      'sampleEveryMs: expected an integer from 1000 to reportEveryMs, got 500',
      'limits.memoryBytes: expected a positive number, got 0',
      'limits.cores: expected a positive number, got NaN',
      'limits.gpus: unknown',
    ]);
    expect(hostCapacitySampler({ host: 'api-1' })).toMatchObject({
      name: 'monitoring:host-capacity',
      host: 'api-1',
    });
  });
});
