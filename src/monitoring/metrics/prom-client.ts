/**
 * Prometheus exposition through `prom-client` (an optional peer dependency):
 * a {@link Metrics} port whose instruments are prom-client's, in a registry
 * the host serves on `/metrics`. The module is passed in, so importing this
 * subpath never loads prom-client by itself.
 */
import type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  Labels,
  MetricOptions,
  Metrics,
} from './metrics-port.js';

/** The subset of a prom-client registry this adapter uses. */
export interface PromRegistryLike {
  metrics(): Promise<string>;
  readonly contentType: string;
  /** Takes one of the instruments this adapter made (typed loosely so prom-client's own signature fits). */
  registerMetric(metric: never): void;
}

/**
 * The metric options this adapter passes to prom-client's constructors.
 *
 * @example
 * ```ts
 * // What `fromPromClient` hands prom-client's constructors for a counter.
 * const config: PromConfig = { name: 'app_orders_total', help: 'Orders taken', labelNames: ['channel'], registers: [] };
 * const counter = new promClient.Counter(config);
 * ```
 */
export interface PromConfig {
  name: string;
  help: string;
  labelNames: string[];
  /** Empty: prom-client must not add it to its global registry; it is added to ours. */
  registers: never[];
  collect?: () => void;
}

/** The subset of the `prom-client` module this adapter uses (`import * as promClient from 'prom-client'`). */
export interface PromClientLike {
  Registry: new () => PromRegistryLike;
  Counter: new (config: PromConfig) => {
    inc(labels: Labels, value?: number): void;
    inc(value?: number): void;
  };
  Gauge: new (config: PromConfig) => { set(labels: Labels, value: number): void; set(value: number): void };
  Histogram: new (config: PromConfig & { buckets: number[] }) => {
    observe(labels: Labels, value: number): void;
    observe(value: number): void;
  };
}

/** A {@link Metrics} port backed by prom-client, with the registry to serve. */
export interface PromMetrics extends Metrics {
  readonly registry: PromRegistryLike;
  /** The Content-Type of {@link PromMetrics.scrape}'s text. */
  readonly contentType: string;
  /** The registry in the Prometheus text exposition format (runs the collectors first). */
  scrape(): Promise<string>;
}

/**
 * Metrics in a prom-client registry (a new one unless `registry` is given).
 *
 * @example
 * ```ts
 * import * as promClient from 'prom-client';
 * const prom = fromPromClient(promClient);
 * app.get('/metrics', async (_req, res) => res.type(prom.contentType).send(await prom.scrape()));
 * ```
 */
export function fromPromClient(
  promClient: PromClientLike,
  options: { registry?: PromRegistryLike } = {},
): PromMetrics {
  const registry = options.registry ?? new promClient.Registry();
  const created = new Map<string, { type: string; instrument: unknown }>();
  const collectors = new Set<() => void>();
  // prom-client calls every gauge's collect in one synchronous pass before
  // awaiting: run the collectors once for that pass, not once per gauge.
  let collecting = false;
  const runCollectors = () => {
    if (collecting) return;
    collecting = true;
    queueMicrotask(() => (collecting = false));
    for (const c of collectors) c();
  };
  const base = (o: MetricOptions): PromConfig => ({
    name: o.name,
    help: o.help,
    labelNames: [...(o.labelNames ?? [])],
    registers: [],
  });
  const register = <T>(metric: T): T => {
    registry.registerMetric(metric as never);
    return metric;
  };
  const once = <T>(o: MetricOptions, type: string, make: () => T): T => {
    const seen = created.get(o.name);
    if (seen && seen.type === type) return seen.instrument as T;
    const instrument = make();
    created.set(o.name, { type, instrument });
    return instrument;
  };
  return {
    registry,
    get contentType() {
      return registry.contentType;
    },
    counter(o): Counter {
      return once(o, 'counter', () => {
        const c = register(new promClient.Counter(base(o)));
        return { inc: (labels, value = 1) => (labels ? c.inc(labels, value) : c.inc(value)) };
      });
    },
    gauge(o): Gauge {
      return once(o, 'gauge', () => {
        const g = register(new promClient.Gauge({ ...base(o), collect: runCollectors }));
        return { set: (labels, value) => (labels ? g.set(labels, value) : g.set(value)) };
      });
    },
    histogram(o: HistogramOptions): Histogram {
      return once(o, 'histogram', () => {
        const h = register(new promClient.Histogram({ ...base(o), buckets: [...o.buckets] }));
        return { observe: (labels, value) => (labels ? h.observe(labels, value) : h.observe(value)) };
      });
    },
    onCollect(c) {
      collectors.add(c);
      return () => collectors.delete(c);
    },
    async scrape() {
      for (const c of collectors) c();
      collecting = true; // the gauges' own collect pass would repeat it
      try {
        return await registry.metrics();
      } finally {
        collecting = false;
      }
    },
  };
}
