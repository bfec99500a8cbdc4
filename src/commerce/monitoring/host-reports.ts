/**
 * The capacity check's read of the hosts: the reports every host's sampler
 * appended in the last two check intervals, one sample per host and
 * resource — the highest planned figure of the host's reports there (a
 * report appended a little after a check is not lost, it counts at the next
 * one), compared with the newest report's capacity. A host that stopped
 * reporting drops out of the check (its history stays in the log).
 */
import type { EventStore } from '../../store/types.js';
import { HOST_CAPACITY_STREAM, type HostResourcesReport } from './host-capacity-sampler.js';
import { HOST_CAPACITY_RESOURCES, type HostCapacityResource } from './host-window.js';

const PAGE = 500;
// Enough for a fleet of hundreds of hosts reporting every few minutes; the rest is older.
const MAX_PAGES = 20;

/**
 * The host reports whose end (`to`) lies in `(at - windowMs, at]`, oldest first.
 *
 * @example
 * ```ts
 * const reports = await readHostReports(store, new Date(), 2 * 3_600_000);
 * ```
 */
export async function readHostReports(
  store: EventStore,
  at: Date,
  windowMs: number,
): Promise<HostResourcesReport[]> {
  const end = at.getTime();
  const start = end - windowMs;
  const head = await store.readStream(HOST_CAPACITY_STREAM, {
    fromVersion: Number.MAX_SAFE_INTEGER,
    maxCount: 1,
  });
  const found: HostResourcesReport[] = [];
  let upTo = head.version;
  for (let page = 0; page < MAX_PAGES && upTo > 0; page++) {
    const fromVersion = Math.max(1, upTo - PAGE + 1);
    const { events } = await store.readStream(HOST_CAPACITY_STREAM, {
      fromVersion,
      maxCount: upTo - fromVersion + 1,
    });
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of events) {
      if (e.type !== 'system.host_resources_reported') continue;
      const report = e.data as HostResourcesReport;
      const to = Date.parse(report.to);
      oldest = Math.min(oldest, to);
      if (to > start && to <= end) found.push(report);
    }
    upTo = fromVersion - 1;
    // Appends are roughly in time order; one window of slack covers hosts whose clocks differ.
    if (oldest <= start - windowMs) break;
  }
  return found.sort((a, b) => Date.parse(a.to) - Date.parse(b.to));
}

/** One host resource's sample, as the check keeps it. */
export interface HostSample {
  resource: HostCapacityResource;
  host: string;
  value: number;
  capacity: number;
}

/** A host resource the check could not sample, and why. */
export interface HostSkip {
  resource: HostCapacityResource;
  host?: string;
  reason: string;
}

/**
 * Per host (by name) and resource: the highest planned figure of its
 * reports, against the newest report's capacity.
 *
 * @example
 * ```ts
 * const { samples, skipped } = hostSamples(reports, 2 * 3_600_000);
 * ```
 */
export function hostSamples(
  reports: readonly HostResourcesReport[],
  windowMs: number,
): { samples: HostSample[]; skipped: HostSkip[] } {
  if (reports.length === 0) {
    const hours = Math.round((windowMs / 3_600_000) * 10) / 10;
    const reason = `no host reported its resources in the last ${hours} h (run hostCapacitySampler on every host)`;
    return { samples: [], skipped: HOST_CAPACITY_RESOURCES.map((resource) => ({ resource, reason })) };
  }
  const byHost = new Map<string, HostResourcesReport[]>();
  for (const r of reports) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  const samples: HostSample[] = [];
  const skipped: HostSkip[] = [];
  for (const host of [...byHost.keys()].sort()) {
    const list = byHost.get(host)!;
    for (const resource of HOST_CAPACITY_RESOURCES) {
      const entries = list.flatMap((r) => r.resources.filter((x) => x.resource === resource));
      if (entries.length === 0) {
        skipped.push({ resource, host, reason: 'not in the host’s reports (too few samples yet)' });
        continue;
      }
      samples.push({
        resource,
        host,
        value: Math.max(...entries.map((x) => x.value)),
        capacity: entries.at(-1)!.capacity,
      });
    }
  }
  return { samples, skipped };
}
