/**
 * The benchmark charts as Vega-Lite specs built from result lines: append
 * throughput and p95 by concurrency against Emmett, projection catch-up
 * against Emmett, realtime commit-to-client latency percentiles, and saga /
 * projection takeover after a host is killed. A chart whose lines are missing
 * is left out rather than drawn empty.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One JSON line a benchmark printed. */
export type ResultLine = { name: string } & Record<string, unknown>;

const WIDTH = 360;
const HEIGHT = 220;
const FONT = { font: 'Helvetica, Arial, sans-serif' } as const;
const OURS = '@creatorflow/sync';
const EMMETT = 'Emmett';
const COLORS = { domain: [OURS, EMMETT], range: ['#2563eb', '#9ca3af'] };

const num = (line: ResultLine | undefined, key: string): number | undefined =>
  typeof line?.[key] === 'number' ? (line[key] as number) : undefined;

function byName(results: readonly ResultLine[]): Map<string, ResultLine> {
  // A later line of the same name (a newer run) replaces an earlier one.
  return new Map(results.map((r) => [r.name, r]));
}

function appendChart(lines: Map<string, ResultLine>): TopLevelSpec | undefined {
  const rows = [1, 8, 64].flatMap((c) =>
    (
      [
        [OURS, lines.get(`append.single.c${c}`)],
        [EMMETT, lines.get(`emmett.append.single.c${c}`)],
      ] as const
    ).flatMap(([store, line]) =>
      line === undefined
        ? []
        : [
            {
              concurrency: String(c),
              store,
              events_per_s: num(line, 'events_per_s'),
              p95_ms: num(line, 'p95_ms'),
            },
          ],
    ),
  );
  if (rows.length === 0) return undefined;
  const panel = (field: 'events_per_s' | 'p95_ms', title: string) => ({
    width: WIDTH / 2,
    height: HEIGHT,
    title,
    mark: { type: 'bar' as const },
    encoding: {
      x: {
        field: 'concurrency',
        type: 'nominal' as const,
        title: 'concurrent writers',
        sort: ['1', '8', '64'],
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'store', type: 'nominal' as const },
      y: { field, type: 'quantitative' as const, title: null },
      color: {
        field: 'store',
        type: 'nominal' as const,
        scale: COLORS,
        legend: { orient: 'bottom' as const, title: null },
      },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Append, one event per call, PostgreSQL (same run, same database)',
    data: { values: rows },
    hconcat: [
      panel('events_per_s', 'events/s (higher is better)'),
      panel('p95_ms', 'p95 latency, ms (lower is better)'),
    ],
    config: FONT,
  } as TopLevelSpec;
}

function catchupChart(lines: Map<string, ResultLine>): TopLevelSpec | undefined {
  const ours = lines.get('projection.catchup');
  const emmett = lines.get('emmett.projection.catchup');
  if (ours === undefined || emmett === undefined) return undefined;
  const rows = [
    { store: OURS, events_per_s: num(ours, 'events_per_s') },
    { store: EMMETT, events_per_s: num(emmett, 'events_per_s') },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Projection catch-up over ${num(ours, 'events') ?? '?'} events, events/s`,
    width: WIDTH,
    height: HEIGHT / 2,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'store', type: 'nominal', title: null, sort: [OURS, EMMETT] },
          x: { field: 'events_per_s', type: 'quantitative', title: 'events/s (higher is better)' },
          color: { field: 'store', type: 'nominal', scale: COLORS, legend: null },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4 },
        encoding: {
          y: { field: 'store', type: 'nominal', sort: [OURS, EMMETT] },
          x: { field: 'events_per_s', type: 'quantitative' },
          text: { field: 'events_per_s', type: 'quantitative', format: ',.0f' },
        },
      },
    ],
    config: FONT,
  } as TopLevelSpec;
}

function realtimeChart(lines: Map<string, ResultLine>): TopLevelSpec | undefined {
  const cases = [
    ['realtime.fanout', 'hub'],
    ['realtime.fanout_sse', 'SSE, gzip'],
    ['realtime.fanout_sse_identity', 'SSE, identity'],
  ] as const;
  const rows = cases.flatMap(([name, label]) => {
    const line = lines.get(name);
    if (line === undefined) return [];
    return (['p50_ms', 'p95_ms', 'p99_ms'] as const).map((p) => ({
      case: label,
      percentile: p.slice(0, 3),
      ms: num(line, p),
    }));
  });
  if (rows.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Realtime: commit to client, 1,000 changes/s, 100 ms coalescing window',
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar' },
        encoding: {
          x: {
            field: 'case',
            type: 'nominal',
            title: 'hub: 10,000 subscriptions in process; SSE: 1,000 connections',
            sort: ['hub', 'SSE, gzip', 'SSE, identity'],
            axis: { labelAngle: 0 },
          },
          xOffset: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99'] },
          y: { field: 'ms', type: 'quantitative', title: 'ms (lower is better)' },
          color: {
            field: 'percentile',
            type: 'nominal',
            sort: ['p50', 'p95', 'p99'],
            scale: { range: ['#93c5fd', '#2563eb', '#1e3a8a'] },
            legend: { orient: 'bottom', title: null },
          },
        },
      },
      {
        data: { values: [{ target: 150 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#dc2626' },
        encoding: { y: { field: 'target', type: 'quantitative' } },
      },
    ],
    config: FONT,
  } as TopLevelSpec;
}

function takeoverChart(lines: Map<string, ResultLine>): TopLevelSpec | undefined {
  const line = lines.get('failover.takeover');
  if (line === undefined) return undefined;
  const rows = [
    { part: 'projection', seconds: num(line, 'projection_seconds') },
    { part: 'sagas', seconds: num(line, 'saga_seconds') },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Takeover after SIGKILL of the leader (lease ${(num(line, 'lease_ms') ?? 0) / 1000} s): doubled steps ${num(line, 'doubled_steps') ?? '?'}, lost events ${num(line, 'lost_events') ?? '?'}`,
    width: WIDTH,
    height: HEIGHT / 2,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', color: '#2563eb' },
        encoding: {
          y: { field: 'part', type: 'nominal', title: null },
          x: {
            field: 'seconds',
            type: 'quantitative',
            title: 'seconds until work resumes (target ≤ 10)',
            scale: { domain: [0, 12] },
          },
        },
      },
      {
        data: { values: [{ target: num(line, 'target_seconds') ?? 10 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#dc2626' },
        encoding: { x: { field: 'target', type: 'quantitative' } },
      },
    ],
    config: FONT,
  } as TopLevelSpec;
}

/** The charts the given lines support: file name → Vega-Lite spec. */
export function chartSpecs(results: readonly ResultLine[]): Map<string, TopLevelSpec> {
  const lines = byName(results);
  const charts = new Map<string, TopLevelSpec>();
  const add = (file: string, spec: TopLevelSpec | undefined) => spec && charts.set(file, spec);
  add('append.svg', appendChart(lines));
  add('catchup.svg', catchupChart(lines));
  add('realtime-latency.svg', realtimeChart(lines));
  add('takeover.svg', takeoverChart(lines));
  return charts;
}
