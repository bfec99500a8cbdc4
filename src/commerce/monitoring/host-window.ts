/**
 * The host sampler's summary between two reports: every per-minute sample
 * of each host resource, reduced to its peak and 95th percentile when the
 * report is written, so an hourly plan sees the hour, not one instant.
 * CPU and the event loop are planned on the p95 (a one-minute burst of
 * garbage collection is not a trend); memory on the peak (the process is
 * killed at its highest resident set, not its typical one).
 */

/** The host resources, in order. */
export const HOST_CAPACITY_RESOURCES = ['host_cpu', 'host_event_loop', 'host_memory', 'host_heap'] as const;
/** One of {@link HOST_CAPACITY_RESOURCES}. */
export type HostCapacityResource = (typeof HOST_CAPACITY_RESOURCES)[number];

/** What a report says of one resource. */
export interface HostResourceSummary {
  resource: HostCapacityResource;
  /** The figure planned: the p95 for CPU and the event loop, the peak for memory and heap. */
  value: number;
  peak: number;
  p95: number;
  /** In the value's unit: cores, a share (1), bytes. */
  capacity: number;
}

const PLANNED_ON_PEAK: ReadonlySet<HostCapacityResource> = new Set(['host_memory', 'host_heap']);
// A report every hour of per-minute samples holds 60; this bounds a misconfigured one.
const MAX_SAMPLES = 10_000;

/**
 * The nearest-rank quantile of unsorted values (`q` in (0, 1]; 0 for none).
 *
 * @example
 * ```ts
 * nearestRank([0.2, 0.2, 1.8, 0.3], 0.95) // 1.8
 * ```
 */
export function nearestRank(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

/**
 * The samples of each host resource since the last report.
 *
 * @example
 * ```ts
 * const w = new HostWindow();
 * w.add('host_memory', 310e6);
 * w.summarize({ host_cpu: 2, host_event_loop: 1, host_memory: 4e9, host_heap: 2e9 }); // then empty again
 * ```
 */
export class HostWindow {
  readonly #values = new Map<HostCapacityResource, number[]>();

  /** Keep one sample (the oldest is dropped past the bound). */
  add(resource: HostCapacityResource, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const list = this.#values.get(resource) ?? [];
    list.push(value);
    if (list.length > MAX_SAMPLES) list.shift();
    this.#values.set(resource, list);
  }

  /** Samples kept of `resource`. */
  count(resource: HostCapacityResource): number {
    return this.#values.get(resource)?.length ?? 0;
  }

  /** Summaries of every resource with samples, then start over. */
  summarize(capacities: Readonly<Record<HostCapacityResource, number>>): HostResourceSummary[] {
    const out: HostResourceSummary[] = [];
    for (const resource of HOST_CAPACITY_RESOURCES) {
      const values = this.#values.get(resource);
      if (!values || values.length === 0) continue;
      const peak = Math.max(...values);
      const p95 = nearestRank(values, 0.95);
      out.push({
        resource,
        value: PLANNED_ON_PEAK.has(resource) ? peak : p95,
        peak,
        p95,
        capacity: capacities[resource],
      });
    }
    this.#values.clear();
    return out;
  }
}
