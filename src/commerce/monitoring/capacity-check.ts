/**
 * The specification's capacity planning, wired: a schedule (one host of many
 * runs each due time) samples the resources, keeps each check in the event
 * log, plans every resource with a capacity and enough history with
 * `planCapacity` (30 days ahead, 70 % of capacity by default), sets the
 * `creatorflow_capacity_*` gauges the default rule `capacity_predicted`
 * alerts on, and appends `system.capacity_threshold_predicted` when a
 * resource newly is forecast to reach its threshold.
 */
import type { ScheduleDefinition } from '../../scheduling/schedule-definition.js';
import type { NewEvent } from '../../store/types.js';
import { planCapacity } from '../forecasting/capacity-plan.js';
import {
  CAPACITY_STREAM,
  dailyPeaks,
  dateOfDay,
  readCapacityHistory,
  type CapacityCheck,
} from './capacity-history.js';
import {
  resolveCapacityCheck,
  type CapacityCheckOptions,
  type ResolvedCapacityCheck,
} from './capacity-options.js';
import { recordCapacityGauges } from './capacity-gauges.js';
import { sampleCapacity } from './capacity-sampler.js';
import { hostSamples, readHostReports } from './host-reports.js';

const DAY_MS = 86_400_000;

/** What one check found and decided (also the schedule run's kept result). */
export type CapacityCheckResult = CapacityCheck & {
  /**
   * Resources with a capacity but fewer days of history than `minHistoryDays`:
   * days so far, by resource (`resource@host` for a host's own).
   */
  waiting: Record<string, number>;
};

/**
 * Sample, keep, plan and signal once, as of `at` (the run's due time: a
 * retried or taken-over run of the same due time appends nothing twice).
 *
 * @example
 * ```ts
 * const result = await runCapacityCheck(resolveCapacityCheck({ store, capacities: { diskGb: 50 } }), new Date());
 * result.plans.filter((p) => p.scaleUp);
 * ```
 */
export async function runCapacityCheck(o: ResolvedCapacityCheck, at: Date): Promise<CapacityCheckResult> {
  const checkedAt = at.toISOString();
  const runsPerDay = Math.ceil(DAY_MS / o.everyMs);
  // Two events at most per check; manual runs add a few more.
  const { checks, version } = await readCapacityHistory(
    o.store,
    Math.min(50_000, 2 * runsPerDay * o.historyDays + 100),
  );
  const { samples, skipped, logPosition } = await sampleCapacity(
    o.store,
    o.capacities,
    at,
    o.registry,
    checks,
  );
  // Hosts report their own CPU and memory; a report can be up to one interval behind the check.
  const hostWindowMs = 2 * o.everyMs;
  const hosts = hostSamples(await readHostReports(o.store, at, hostWindowMs), hostWindowMs);
  samples.push(...hosts.samples);
  skipped.push(...hosts.skipped);
  const previous = checks.at(-1);
  const current: CapacityCheck = { checkedAt, logPosition, samples, skipped, plans: [] };
  const history = [...checks, current];
  const today = Math.floor(at.getTime() / DAY_MS);
  const waiting: Record<string, number> = {};
  const signals: NewEvent[] = [];
  for (const sample of samples) {
    if (sample.capacity === null) continue;
    const host = sample.host === undefined ? {} : { host: sample.host };
    const series = dailyPeaks(history, sample.resource, o.historyDays, sample.host);
    if (!series || series.usage.length < o.minHistoryDays) {
      waiting[sample.host === undefined ? sample.resource : `${sample.resource}@${sample.host}`] =
        series?.usage.length ?? 0;
      continue;
    }
    const plan = planCapacity({
      metric: sample.resource,
      usage: series.usage,
      startDate: series.startDate,
      capacity: sample.capacity,
      signalAt: o.signalAt,
      horizon: o.horizonDays,
    });
    const reachedNow = sample.value >= o.signalAt * sample.capacity;
    const reachesThresholdOn = reachedNow ? dateOfDay(today) : plan.reachesThresholdOn;
    const daysToThreshold =
      reachesThresholdOn === null
        ? null
        : Math.max(0, Math.round(Date.parse(reachesThresholdOn) / DAY_MS - today));
    const scaleUp = reachedNow || plan.scaleUp;
    current.plans.push({
      resource: sample.resource,
      ...host,
      scaleUp,
      reachesThresholdOn,
      daysToThreshold,
      threshold: o.signalAt,
      p50Share: plan.predictedShare.p50,
      p90Share: plan.predictedShare.p90,
      historyDays: series.usage.length,
    });
    const before = previous?.plans.find((p) => p.resource === sample.resource && p.host === sample.host);
    // Only a change is a signal: a resource forecast to fill for a week is one event, not 168.
    if (scaleUp && !before?.scaleUp && reachesThresholdOn !== null && daysToThreshold !== null) {
      signals.push({
        type: 'system.capacity_threshold_predicted',
        data: {
          resource: sample.resource,
          ...host,
          value: sample.value,
          capacity: sample.capacity,
          threshold: o.signalAt,
          reachesThresholdOn,
          daysToThreshold,
        },
      });
    }
  }
  await o.store.append(CAPACITY_STREAM, [{ type: 'system.capacity_checked', data: current }, ...signals], {
    aggregateType: 'system',
    expectedVersion: version === 0 ? 'no_stream' : version,
    idempotencyKey: `${o.name}:${checkedAt}`,
    metadata: { source: 'monitoring' },
  });
  const m = o.metrics();
  if (m) recordCapacityGauges(m, current);
  return { ...current, waiting };
}

/**
 * The capacity check as a schedule for the engine's scheduler: hourly by
 * default, missed runs `'latest'`, its result kept in the run history
 * (`GET /api/schedules/capacity-check/runs` with `scheduleRoutes`).
 * Options are validated here; an impossible one throws `CapacityConfigError`.
 *
 * @example
 * ```ts
 * const engine = createSyncEngine({
 *   sql,
 *   schedules: ({ store }) => [
 *     capacityCheckSchedule({ store, metrics: monitoring.instruments, capacities: { diskGb: 200 } }),
 *   ],
 * });
 * ```
 */
export function capacityCheckSchedule(options: CapacityCheckOptions): ScheduleDefinition {
  const o = resolveCapacityCheck(options);
  return {
    name: o.name,
    every: o.everyMs,
    missed: 'latest',
    timeoutMs: 5 * 60_000,
    run: async ({ dueAt, signal }) => {
      signal.throwIfAborted();
      return runCapacityCheck(o, dueAt);
    },
  };
}
