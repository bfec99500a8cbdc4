import type { Metrics } from './metrics-port.js';

/**
 * One port recording into several (the in-memory registry the monitor reads
 * and prom-client or OpenTelemetry for export).
 *
 * @example
 * ```ts
 * const registry = createMetricsRegistry();
 * const metrics = teeMetrics(registry, fromPromClient(promClient));
 * ```
 */
export function teeMetrics(...ports: readonly Metrics[]): Metrics {
  if (ports.length === 1) return ports[0]!;
  return {
    counter(o) {
      const all = ports.map((p) => p.counter(o));
      return { inc: (labels, value) => all.forEach((c) => c.inc(labels, value)) };
    },
    gauge(o) {
      const all = ports.map((p) => p.gauge(o));
      return { set: (labels, value) => all.forEach((g) => g.set(labels, value)) };
    },
    histogram(o) {
      const all = ports.map((p) => p.histogram(o));
      return { observe: (labels, value) => all.forEach((h) => h.observe(labels, value)) };
    },
    onCollect(c) {
      const removers = ports.map((p) => p.onCollect(c));
      return () => removers.forEach((r) => r());
    },
  };
}
