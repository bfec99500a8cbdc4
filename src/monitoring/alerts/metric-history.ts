/**
 * Samples of the registry over time, kept as long as the longest window a
 * rule looks back, so increases, rates and windowed quantiles can be computed.
 */
import type { MetricSnapshot, SeriesSnapshot } from '../metrics/metrics-registry.js';

/** One sample: every series by metric name and series key. */
export interface Sample {
  t: number;
  metrics: Map<string, Map<string, SeriesSnapshot>>;
}

/** Index a registry snapshot taken at `t`. */
export function toSample(t: number, snapshot: readonly MetricSnapshot[]): Sample {
  const metrics = new Map<string, Map<string, SeriesSnapshot>>();
  for (const family of snapshot) {
    const series = new Map<string, SeriesSnapshot>();
    for (const s of family.series) series.set(Object.values(s.labels).join('\u0000'), s);
    metrics.set(family.name, series);
  }
  return { t, metrics };
}

/**
 * A bounded history of samples.
 *
 * @example
 * ```ts
 * const history = new MetricHistory(3_600_000);
 * history.add(toSample(Date.now(), registry.snapshot()));
 * ```
 */
export class MetricHistory {
  readonly #retainMs: number;
  readonly #samples: Sample[] = [];

  constructor(retainMs: number) {
    this.#retainMs = retainMs;
  }

  add(sample: Sample): void {
    const last = this.#samples[this.#samples.length - 1];
    if (last && sample.t < last.t) return; // a clock that went back must not reorder the history
    this.#samples.push(sample);
    // Keep one sample at or before the oldest window start, so a full window always has its base.
    const horizon = sample.t - this.#retainMs;
    while (this.#samples.length > 2 && this.#samples[1]!.t <= horizon) this.#samples.shift();
  }

  get latest(): Sample | undefined {
    return this.#samples[this.#samples.length - 1];
  }

  /** The sample a window of `windowMs` ending now starts from: the newest at or before its start, else the oldest. */
  baseFor(windowMs: number): Sample | undefined {
    const latest = this.latest;
    if (!latest) return undefined;
    const start = latest.t - windowMs;
    let base = this.#samples[0];
    for (const s of this.#samples) {
      if (s.t <= start) base = s;
      else break;
    }
    return base;
  }
}
