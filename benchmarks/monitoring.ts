/**
 * `npm run bench -- monitoring`: the cost and speed of monitoring.
 *
 * - `monitoring.overhead`: appends on real PostgreSQL with the instrumented
 *   store (in-memory registry and prom-client) against the same store
 *   uninstrumented, alternating run by run in one process (7 runs of 20,000
 *   appends each); `overhead_pct` is the throughput lost (target ≤ 3), and
 *   `cpu_overhead_pct` the client CPU per append added, the steadier measure.
 * - `alerts.evaluate`: one evaluation of 200 rules over 10 000 series
 *   (`series_per_s`, target ≥ 100 000).
 * - `alerts.fire_to_notify`: from the evaluation sample that breaches to the
 *   notification channel's call (`p50_ms`, `p95_ms`, target p95 ≤ 1000), with
 *   the log on the in-memory store; the evaluation interval adds its own wait.
 *
 * Environment: BENCH_RUNS (default 7), BENCH_APPENDS (default 20000),
 * BENCH_CONCURRENCY (default 32), BENCH_SERIES (default 10000), BENCH_RULES
 * (default 200), BENCH_FIRES (default 200), BENCH_ONLY (case-name prefixes).
 */
import * as promClient from 'prom-client';
import {
  AlertBook,
  createAlerting,
  createMetricsRegistry,
  evaluateRules,
  fromPromClient,
  instrumentEventStore,
  libraryMetrics,
  MetricHistory,
  teeMetrics,
  toSample,
  type AlertRule,
} from '../src/monitoring/index.js';
import { createEventStore } from '../src/index.js';
import { closedLoop } from './support/load.js';
import { openOurStore } from './support/our-store.js';
import { emit, latencySummary, median, nowMs, round } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SERIES = Number(process.env.BENCH_SERIES ?? 10_000);
const RULES = Number(process.env.BENCH_RULES ?? 200);
const FIRES = Number(process.env.BENCH_FIRES ?? 200);
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const selected = (name: string) => ONLY.length === 0 || ONLY.some((p) => name.startsWith(p));

async function overhead(): Promise<void> {
  const bench = await openOurStore(16);
  const { store } = bench;
  const m = libraryMetrics(teeMetrics(createMetricsRegistry(), fromPromClient(promClient)));
  const run = async (instrumented: boolean, round_: number) => {
    const undo = instrumented ? instrumentEventStore(store, m) : () => undefined;
    try {
      const cpu = process.cpuUsage();
      const result = await closedLoop({
        concurrency: CONCURRENCY,
        calls: APPENDS,
        eventsPerCall: 1,
        call: (i) =>
          store.append(
            `o-${instrumented ? 'on' : 'off'}-${round_}-${i}`,
            [{ type: 'order.placed', data: { i, total: 25 } }],
            {
              aggregateType: 'order',
              expectedVersion: 'no_stream',
            },
          ),
      });
      const used = process.cpuUsage(cpu);
      return { ...result, cpu_us_per_append: (used.user + used.system) / APPENDS };
    } finally {
      undo();
    }
  };
  try {
    await run(false, -1); // warm-up
    const on: number[] = [];
    const off: number[] = [];
    const cpuOn: number[] = [];
    const cpuOff: number[] = [];
    const record = (instrumented: boolean, r: { events_per_s: number; cpu_us_per_append: number }) => {
      (instrumented ? on : off).push(r.events_per_s);
      (instrumented ? cpuOn : cpuOff).push(r.cpu_us_per_append);
    };
    for (let r = 0; r < RUNS; r++) {
      // Alternate which goes first so drift hits both alike.
      if (r % 2 === 0) {
        record(false, await run(false, r));
        record(true, await run(true, r));
      } else {
        record(true, await run(true, r));
        record(false, await run(false, r));
      }
    }
    const offMedian = median(off);
    const onMedian = median(on);
    emit({
      name: 'monitoring.overhead',
      appends: APPENDS,
      concurrency: CONCURRENCY,
      runs: RUNS,
      off_events_per_s: offMedian,
      on_events_per_s: onMedian,
      overhead_pct: round(((offMedian - onMedian) / offMedian) * 100),
      // Throughput on a shared machine swings by several percent run to run;
      // the client CPU an append costs with and without metrics does not.
      cpu_us_per_append_off: round(median(cpuOff)),
      cpu_us_per_append_on: round(median(cpuOn)),
      cpu_overhead_pct: round(((median(cpuOn) - median(cpuOff)) / median(cpuOff)) * 100),
      runs_events_per_s_off: off,
      runs_events_per_s_on: on,
      target_overhead_pct: 3,
    });
  } finally {
    await bench.dispose();
  }
}

function evaluate(): void {
  const registry = createMetricsRegistry();
  const metrics = 20;
  const perMetric = Math.ceil(SERIES / metrics);
  const counters = Array.from({ length: metrics }, (_, i) =>
    registry.counter({ name: `bench_counter_${i}_total`, help: 'bench', labelNames: ['instance'] }),
  );
  const fill = () =>
    counters.forEach((c) => {
      for (let s = 0; s < perMetric; s++) c.inc({ instance: `i${s}` }, s % 7);
    });
  const rules: AlertRule[] = Array.from({ length: RULES }, (_, i) => ({
    name: `rule_${i}`,
    severity: 'warning',
    signal:
      i % 2 === 0
        ? { kind: 'value', of: { metric: `bench_counter_${i % metrics}_total` } }
        : { kind: 'rate', of: { metric: `bench_counter_${i % metrics}_total` }, windowMs: 300_000 },
    condition: { op: '>', threshold: 1e12 },
    by: ['instance'],
  }));
  const history = new MetricHistory(300_000);
  const book = new AlertBook();
  let t = 0;
  const times: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    fill();
    t += 15_000;
    const t0 = nowMs();
    history.add(toSample(t, registry.snapshot()));
    evaluateRules(rules, history, book, t);
    if (r > 0) times.push(nowMs() - t0); // the first pass warms the JIT
  }
  const ms = median(times);
  emit({
    name: 'alerts.evaluate',
    series: metrics * perMetric,
    rules: RULES,
    runs: RUNS,
    pass_ms: round(ms),
    series_per_s: Math.round((metrics * perMetric) / (ms / 1000)),
    target_series_per_s: 100_000,
  });
}

async function fireToNotify(): Promise<void> {
  const store = createEventStore();
  await store.migrate();
  const registry = createMetricsRegistry();
  const up = libraryMetrics(registry).up;
  let clock = Date.parse('2026-11-30T10:00:00Z');
  let started = 0;
  const latencies: number[] = [];
  const alerting = createAlerting({
    registry,
    now: () => clock,
    intervalMs: 0,
    rules: [
      {
        name: 'system_down',
        severity: 'critical',
        signal: { kind: 'value', of: { metric: 'creatorflow_up' }, aggregate: 'min' },
        condition: { op: '<', threshold: 1 },
        channels: ['webhook'],
      },
    ],
    route: { receiver: 'ops', groupWaitMs: 0, groupIntervalMs: 1 },
    receivers: {
      ops: {
        timeZone: 'UTC',
        matrix: {
          business_hours: { critical: ['ops'], warning: ['ops'], info: ['ops'] },
          after_hours: { critical: ['ops'], warning: ['ops'], info: ['ops'] },
          weekends: { critical: ['ops'], warning: ['ops'], info: ['ops'] },
        },
        escalateAfterMs: 3_600_000,
        contacts: { ops: { addresses: { webhook: 'bench' } } },
      },
    },
    channels: [
      { kind: 'webhook', send: async (n) => void (n.resolved || latencies.push(nowMs() - started)) },
    ],
  });
  await alerting.start({ store });
  for (let i = 0; i < FIRES; i++) {
    up.set(undefined, 0);
    clock += 1000;
    started = nowMs();
    await alerting.tick();
    up.set(undefined, 1);
    clock += 1000;
    await alerting.tick();
  }
  emit({
    name: 'alerts.fire_to_notify',
    fires: latencies.length,
    ...latencySummary(latencies),
    target_p95_ms: 1000,
  });
  await store.close();
}

export default async function main(): Promise<void> {
  if (selected('monitoring.overhead')) await overhead();
  if (selected('alerts.evaluate')) evaluate();
  if (selected('alerts.fire_to_notify')) await fireToNotify();
}
