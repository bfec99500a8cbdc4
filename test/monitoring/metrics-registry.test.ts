import * as promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  bucketQuantile,
  createMetricsRegistry,
  fromOpenTelemetry,
  fromPromClient,
  InvalidMetricError,
  teeMetrics,
  type OtelMeterLike,
} from '../../src/monitoring/index.js';

describe('metrics registry', () => {
  it('counts, sets and buckets by label, and reads back', () => {
    const r = createMetricsRegistry();
    const c = r.counter({ name: 'jobs_total', help: 'jobs', labelNames: ['kind'] });
    c.inc({ kind: 'a' });
    c.inc({ kind: 'a' }, 2);
    c.inc({ kind: 'b' });
    expect(r.value('jobs_total', { kind: 'a' })).toBe(3);
    expect(r.value('jobs_total')).toBe(4);
    const h = r.histogram({ name: 'lat_seconds', help: 'latency', buckets: [0.1, 1, 10] });
    for (let i = 0; i < 100; i++) h.observe(undefined, i < 90 ? 0.05 : 5);
    const totals = r.histogramTotals('lat_seconds');
    expect(totals.count).toBe(100);
    expect(totals.sum).toBeCloseTo(54.5);
    // 95th of 100: the 5th of the 10 observations in (1, 10] → 1 + 9 * 5/10.
    expect(r.quantile('lat_seconds', 0.95)).toBeCloseTo(5.5);
    expect(r.quantile('missing', 0.5)).toBeNaN();
  });

  it('refuses a missing or undeclared label, a decreasing counter, a reused name and bad buckets', () => {
    const r = createMetricsRegistry();
    const c = r.counter({ name: 'x_total', help: 'x', labelNames: ['a'] });
    expect(() => c.inc({})).toThrow(InvalidMetricError);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/cannot decrease/);
    expect(() => r.counter({ name: 'y_total', help: 'y' }).inc({ b: '1' })).toThrow(InvalidMetricError);
    expect(() => r.gauge({ name: 'x_total', help: 'x' })).toThrow(/is a counter/);
    expect(() => r.histogram({ name: 'h', help: 'h', buckets: [1, 1] })).toThrow(/increase/);
    expect(() => r.counter({ name: 'bad name', help: 'h' })).toThrow(/Prometheus name/);
    expect(r.value('x_total')).toBe(0);
  });

  it('interpolates quantiles as histogram_quantile does', () => {
    expect(bucketQuantile([1, 2], [0, 10, 0], 0.5)).toBe(1.5);
    expect(bucketQuantile([1, 2], [0, 0, 4], 0.99)).toBe(2);
    expect(bucketQuantile([1], [0, 0], 0.5)).toBeNaN();
  });

  it('runs collectors before every snapshot', () => {
    const r = createMetricsRegistry();
    const g = r.gauge({ name: 'depth', help: 'd' });
    let depth = 1;
    r.onCollect(() => g.set(undefined, depth));
    expect(r.snapshot().find((f) => f.name === 'depth')?.series[0]?.value).toBe(1);
    depth = 7;
    expect(r.snapshot().find((f) => f.name === 'depth')?.series[0]?.value).toBe(7);
  });
});

describe('prom-client adapter', () => {
  it('exposes tee-recorded series in the Prometheus text format, sampled gauges included', async () => {
    const r = createMetricsRegistry();
    const prom = fromPromClient(promClient);
    const m = teeMetrics(r, prom);
    m.counter({ name: 'cf_requests_total', help: 'requests', labelNames: ['code'] }).inc({ code: '200' }, 3);
    m.histogram({ name: 'cf_latency_seconds', help: 'latency', buckets: [0.5, 1] }).observe(undefined, 0.7);
    const g = m.gauge({ name: 'cf_depth', help: 'depth' });
    let depth = 4;
    m.onCollect(() => g.set(undefined, depth));
    let text = await prom.scrape();
    expect(text).toContain('cf_requests_total{code="200"} 3');
    expect(text).toContain('cf_latency_seconds_bucket{le="1"} 1');
    expect(text).toContain('cf_latency_seconds_bucket{le="0.5"} 0');
    expect(text).toContain('cf_depth 4');
    depth = 9;
    text = await prom.registry.metrics(); // a host serving the registry itself still gets fresh gauges
    expect(text).toContain('cf_depth 9');
    expect(prom.contentType).toMatch(/text\/plain/);
    expect(r.value('cf_requests_total')).toBe(3);
  });
});

describe('OpenTelemetry hook', () => {
  it('records into a meter: counters add, histograms record with the buckets as advice, gauges observe', () => {
    const calls: string[] = [];
    let gaugeCallback: ((r: { observe(v: number, a?: object): void }) => void) | undefined;
    const meter: OtelMeterLike = {
      createCounter: (name) => ({ add: (v, a) => calls.push(`${name} add ${v} ${JSON.stringify(a)}`) }),
      createHistogram: (name, o) => ({
        record: (v) =>
          calls.push(`${name} record ${v} ${JSON.stringify(o?.advice?.explicitBucketBoundaries)}`),
      }),
      createObservableGauge: () => ({ addCallback: (cb) => (gaugeCallback = cb) }),
    };
    const m = fromOpenTelemetry(meter);
    m.counter({ name: 'c', help: 'c', labelNames: ['k'] }).inc({ k: 'v' }, 2);
    m.histogram({ name: 'h', help: 'h', buckets: [1, 2] }).observe(undefined, 1.5);
    m.gauge({ name: 'g', help: 'g' }).set(undefined, 5);
    const observed: number[] = [];
    gaugeCallback!({ observe: (v) => observed.push(v) });
    expect(calls).toEqual(['c add 2 {"k":"v"}', 'h record 1.5 [1,2]']);
    expect(observed).toEqual([5]);
  });
});
