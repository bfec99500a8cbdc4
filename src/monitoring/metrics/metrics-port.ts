/**
 * The metrics port: what instrumented code records into. Small and
 * structural, so the in-memory registry, prom-client and OpenTelemetry all
 * fit behind it (see `createMetricsRegistry`, `fromPromClient`, `fromOpenTelemetry`).
 */

/** Label values of one series, by label name. */
export type Labels = Readonly<Record<string, string>>;

/**
 * What every instrument is declared with.
 *
 * @example
 * ```ts
 * const orders = metrics.counter({ name: 'app_orders_total', help: 'Orders taken', labelNames: ['channel'] });
 * orders.inc({ channel: 'tiktok' });
 * ```
 */
export interface MetricOptions {
  /** Prometheus-style name, e.g. `creatorflow_append_duration_seconds`. */
  name: string;
  help: string;
  /** The label names its series carry (every record passes exactly these). */
  labelNames?: readonly string[];
}

/**
 * Histogram options: upper bounds of its buckets (sorted, `+Inf` implied).
 *
 * @example
 * ```ts
 * const latency = metrics.histogram({
 *   name: 'app_checkout_duration_seconds',
 *   help: 'Checkout latency',
 *   labelNames: ['step'],
 *   buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5],
 * });
 * latency.observe({ step: 'charge' }, 0.182);
 * ```
 */
export interface HistogramOptions extends MetricOptions {
  buckets: readonly number[];
}

/** A monotonically increasing count. */
export interface Counter {
  inc(labels?: Labels, value?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  set(labels: Labels | undefined, value: number): void;
}

/** A distribution of observations in buckets (latencies, sizes). */
export interface Histogram {
  observe(labels: Labels | undefined, value: number): void;
}

/**
 * The port instrumented code records into. Declaring the same name twice
 * returns the same instrument.
 *
 * @example
 * ```ts
 * const appended = metrics.counter({ name: 'app_orders_total', help: 'Orders taken' });
 * appended.inc();
 * ```
 */
export interface Metrics {
  counter(options: MetricOptions): Counter;
  gauge(options: MetricOptions): Gauge;
  histogram(options: HistogramOptions): Histogram;
  /**
   * Run `collect` before each read (scrape, snapshot, evaluation): for gauges
   * sampled from a source (pool counts, hub stats) rather than pushed.
   * Returns a function that removes it.
   */
  onCollect(collect: () => void): () => void;
}
