/**
 * A bounded window of recent latency samples and their percentiles (the
 * cache's invalidation lag). Nearest-rank percentiles over the last N samples.
 */

/**
 * Percentiles of a `LagSamples` window, ms.
 *
 * @example
 * ```ts
 * const { p50, p99 } = cache.metrics().invalidation.lagMs;
 * ```
 */
export interface LagSummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * The last `capacity` samples.
 *
 * @example
 * ```ts
 * const lag = new LagSamples(1024);
 * lag.add(3.2);
 * lag.summary().p99;
 * ```
 */
export class LagSamples {
  readonly #values: number[] = [];
  readonly #capacity: number;
  #next = 0;
  #count = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(value: number): void {
    this.#count++;
    if (this.#values.length < this.#capacity) this.#values.push(value);
    else this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** Percentiles over the window; `count` is every sample ever added. */
  summary(): LagSummary {
    const sorted = [...this.#values].sort((a, b) => a - b);
    const at = (q: number): number =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return { count: this.#count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? 0 };
  }
}
