/**
 * The in-memory metrics registry: the library's own, low-overhead instruments
 * (one Map lookup and a few additions per record), readable in-process for
 * health signals and alert evaluation, and exported to Prometheus or
 * OpenTelemetry through the adapters.
 */
import { InvalidMetricError } from '../errors.js';
import { labelKey, labelsOf } from './label-key.js';
import type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  Labels,
  MetricOptions,
  Metrics,
} from './metrics-port.js';

/** One histogram series: counts per bucket (not cumulative), sum and count. */
export interface HistogramSeries {
  readonly buckets: readonly number[];
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A series as read from the registry. */
export interface SeriesSnapshot {
  labels: Record<string, string>;
  /** Counter or gauge value; a histogram's count. */
  value: number;
  /** Histograms only. */
  histogram?: { buckets: readonly number[]; counts: readonly number[]; sum: number; count: number };
}

/** A metric family as read from the registry. */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labelNames: readonly string[];
  series: SeriesSnapshot[];
}

interface Family {
  options: MetricOptions;
  type: MetricSnapshot['type'];
  labelNames: readonly string[];
  buckets: readonly number[];
  values: Map<string, number>;
  histograms: Map<string, HistogramSeries>;
}

/** A {@link Metrics} port that keeps every series in memory and can be read. */
export interface MetricsRegistry extends Metrics {
  /** Every family and series, after running the collectors. */
  snapshot(): MetricSnapshot[];
  /** The sum of a counter's or gauge's series matching `labels` (all when absent); 0 when none. */
  value(name: string, labels?: Labels): number;
  /**
   * The `q` quantile (0..1) of a histogram over the series matching `labels`,
   * interpolated inside its bucket as PromQL's `histogram_quantile` does; NaN when empty.
   */
  quantile(name: string, q: number, labels?: Labels): number;
  /** A histogram's observation count and sum over the matching series. */
  histogramTotals(name: string, labels?: Labels): { count: number; sum: number };
  /** Run the collectors (sampled gauges) now. */
  collect(): void;
}

const matches = (labels: Record<string, string>, filter: Labels | undefined): boolean =>
  !filter || Object.entries(filter).every(([k, v]) => labels[k] === v);

/**
 * Create an in-memory registry.
 *
 * @example
 * ```ts
 * const registry = createMetricsRegistry();
 * const latency = registry.histogram({ name: 'op_seconds', help: 'Op latency', buckets: [0.01, 0.1, 1] });
 * latency.observe(undefined, 0.05);
 * registry.quantile('op_seconds', 0.95); // ≈ 0.0975
 * ```
 */
export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const collectors = new Set<() => void>();

  const family = (options: MetricOptions, type: Family['type'], buckets: readonly number[] = []): Family => {
    const existing = families.get(options.name);
    if (existing) {
      if (existing.type !== type) {
        throw new InvalidMetricError(`metric ${options.name} is a ${existing.type}, not a ${type}`);
      }
      return existing;
    }
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(options.name)) {
      throw new InvalidMetricError(`metric name ${JSON.stringify(options.name)} is not a Prometheus name`);
    }
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]! > buckets[i - 1]!)) {
        throw new InvalidMetricError(`buckets of ${options.name} must increase`);
      }
    }
    const created: Family = {
      options,
      type,
      labelNames: options.labelNames ?? [],
      buckets,
      values: new Map(),
      histograms: new Map(),
    };
    families.set(options.name, created);
    return created;
  };

  const series = (name: string, filter: Labels | undefined) => {
    const f = families.get(name);
    if (!f) return [];
    const keys = f.type === 'histogram' ? f.histograms.keys() : f.values.keys();
    return [...keys].filter((k) => matches(labelsOf(f.labelNames, k), filter)).map((k) => ({ f, k }));
  };

  const collect = () => {
    for (const c of collectors) c();
  };

  const registry: MetricsRegistry = {
    counter(options): Counter {
      const f = family(options, 'counter');
      return {
        inc(labels, value = 1) {
          if (!(value >= 0)) throw new InvalidMetricError(`counter ${options.name} cannot decrease`);
          const key = labelKey(options.name, f.labelNames, labels);
          f.values.set(key, (f.values.get(key) ?? 0) + value);
        },
      };
    },
    gauge(options): Gauge {
      const f = family(options, 'gauge');
      return {
        set(labels, value) {
          f.values.set(labelKey(options.name, f.labelNames, labels), value);
        },
      };
    },
    histogram(options: HistogramOptions): Histogram {
      const f = family(options, 'histogram', options.buckets);
      const size = f.buckets.length + 1;
      return {
        observe(labels, value) {
          const key = labelKey(options.name, f.labelNames, labels);
          let s = f.histograms.get(key);
          if (!s) {
            s = { buckets: f.buckets, counts: new Float64Array(size), sum: 0, count: 0 };
            f.histograms.set(key, s);
          }
          let i = 0;
          while (i < f.buckets.length && value > f.buckets[i]!) i++;
          s.counts[i]! += 1;
          s.sum += value;
          s.count += 1;
        },
      };
    },
    onCollect(c) {
      collectors.add(c);
      return () => collectors.delete(c);
    },
    collect,
    snapshot() {
      collect();
      return [...families.values()].map((f) => ({
        name: f.options.name,
        help: f.options.help,
        type: f.type,
        labelNames: f.labelNames,
        series:
          f.type === 'histogram'
            ? [...f.histograms].map(([k, s]) => ({
                labels: labelsOf(f.labelNames, k),
                value: s.count,
                histogram: { buckets: s.buckets, counts: [...s.counts], sum: s.sum, count: s.count },
              }))
            : [...f.values].map(([k, v]) => ({ labels: labelsOf(f.labelNames, k), value: v })),
      }));
    },
    value(name, labels) {
      let total = 0;
      for (const { f, k } of series(name, labels)) total += f.values.get(k) ?? 0;
      return total;
    },
    histogramTotals(name, labels) {
      let count = 0;
      let sum = 0;
      for (const { f, k } of series(name, labels)) {
        const s = f.histograms.get(k)!;
        count += s.count;
        sum += s.sum;
      }
      return { count, sum };
    },
    quantile(name, q, labels) {
      const found = series(name, labels);
      if (found.length === 0) return NaN;
      const buckets = found[0]!.f.buckets;
      const counts = new Array<number>(buckets.length + 1).fill(0);
      for (const { f, k } of found) f.histograms.get(k)!.counts.forEach((c, i) => (counts[i]! += c));
      return bucketQuantile(buckets, counts, q);
    },
  };
  return registry;
}

/**
 * The `q` quantile of bucketed counts (not cumulative), interpolated linearly
 * inside the bucket as Prometheus does; the last finite bound for `+Inf`.
 *
 * @example
 * ```ts
 * bucketQuantile([1, 2], [0, 10, 0], 0.5); // 1.5
 * ```
 */
export function bucketQuantile(buckets: readonly number[], counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (seen + c >= rank && c > 0) {
      if (i >= buckets.length) return buckets[buckets.length - 1] ?? NaN;
      const lower = i === 0 ? 0 : buckets[i - 1]!;
      return lower + ((buckets[i]! - lower) * (rank - seen)) / c;
    }
    seen += c;
  }
  return buckets[buckets.length - 1] ?? NaN;
}
