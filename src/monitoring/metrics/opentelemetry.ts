/**
 * An OpenTelemetry hook: a {@link Metrics} port over a host's OpenTelemetry
 * `Meter` (`@opentelemetry/api`). Only the subset used is declared, so the
 * library needs neither the API nor an SDK; the host brings both.
 */
import type { Counter, Gauge, Histogram, Labels, Metrics } from './metrics-port.js';

/** The subset of an OpenTelemetry `Meter` this adapter uses. */
export interface OtelMeterLike {
  createCounter(
    name: string,
    options?: { description?: string },
  ): { add(value: number, attributes?: Labels): void };
  createHistogram(
    name: string,
    options?: { description?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(value: number, attributes?: Labels): void };
  createObservableGauge(
    name: string,
    options?: { description?: string },
  ): {
    addCallback(cb: (result: { observe(value: number, attributes?: Labels): void }) => void): void;
  };
}

/**
 * Record the library's metrics into an OpenTelemetry meter. Gauges become
 * observable gauges reporting the last value set per attribute set.
 *
 * @example
 * ```ts
 * import { metrics as otel } from '@opentelemetry/api';
 * const metrics = teeMetrics(registry, fromOpenTelemetry(otel.getMeter('creatorflow')));
 * ```
 */
export function fromOpenTelemetry(meter: OtelMeterLike): Metrics {
  const collectors = new Set<() => void>();
  const made = new Map<string, unknown>();
  const once = <T>(name: string, make: () => T): T => {
    if (!made.has(name)) made.set(name, make());
    return made.get(name) as T;
  };
  return {
    counter(o): Counter {
      return once(o.name, () => {
        const c = meter.createCounter(o.name, { description: o.help });
        return { inc: (labels, value = 1) => c.add(value, labels) };
      });
    },
    histogram(o): Histogram {
      return once(o.name, () => {
        const h = meter.createHistogram(o.name, {
          description: o.help,
          advice: { explicitBucketBoundaries: [...o.buckets] },
        });
        return { observe: (labels, value) => h.record(value, labels) };
      });
    },
    gauge(o): Gauge {
      return once(o.name, () => {
        const last = new Map<string, { labels: Labels | undefined; value: number }>();
        meter.createObservableGauge(o.name, { description: o.help }).addCallback((result) => {
          for (const c of collectors) c();
          for (const { labels, value } of last.values()) result.observe(value, labels);
        });
        return { set: (labels, value) => last.set(JSON.stringify(labels ?? {}), { labels, value }) };
      });
    },
    onCollect(c) {
      collectors.add(c);
      return () => collectors.delete(c);
    },
  };
}
