/**
 * The host half of capacity planning: CPU and memory are per host, and the
 * capacity check runs on one host of many (the scheduler's lease holder),
 * so every host samples its own process each minute and reports a summary
 * into the log (`system.host_resources_reported` on `system-capacity-hosts`)
 * once per report interval; the check plans each host's figures from the
 * reports (see `host-reports.ts`).
 */
import { resolveLogger, type Logger } from '../../core/logger.js';
import { everyInterval } from '../../runtime/every-interval.js';
import type { PollLoop } from '../../runtime/poll-loop.js';
import { machineHostName } from '../../runtime/lease-owner.js';
import type { EventStore } from '../../store/types.js';
import { CapacityConfigError } from '../errors.js';
import type { EventPayload } from '../events/catalog.js';
import type { CgroupLimitsOptions } from './cgroup-limits.js';
import { processProbe, type HostLimits, type HostProbe } from './host-probe.js';
import { HostWindow } from './host-window.js';

/** The stream every host reports its resources on. */
export const HOST_CAPACITY_STREAM = 'system-capacity-hosts';

/** One host's report. */
export type HostResourcesReport = EventPayload<'system.host_resources_reported'>;

/**
 * Options of {@link hostCapacitySampler}.
 *
 * @example
 * ```ts
 * const options: HostCapacitySamplerOptions = {
 *   host: process.env.POD_NAME,  // a name that outlives restarts keeps the host's history
 *   limits: { memoryBytes: 2e9 }, // when the orchestrator's limit is not the cgroup's
 * };
 * ```
 */
export interface HostCapacitySamplerOptions {
  /** The host's name in the plans and gauges. Default the machine's host name (characters a label refuses become `-`). */
  host?: string | undefined;
  /** Interval of the samples in ms. Default 60 000; from 1 000 to `reportEveryMs`. */
  sampleEveryMs?: number;
  /**
   * Interval of the reports in ms. Default 3 600 000 (the check's); at least
   * 60 000. Report at least as often as the capacity check runs.
   */
  reportEveryMs?: number;
  /** Limits that override what the cgroup and the machine say (both positive). */
  limits?: { memoryBytes?: number; cores?: number };
  /** Where the cgroup files are. Default `/sys/fs/cgroup` and `/proc/self/cgroup`. */
  cgroup?: CgroupLimitsOptions;
  /** The readings (default this process's). */
  probe?: HostProbe;
  /** Clock in epoch ms. */
  now?: () => number;
  logger?: Logger;
}

/** A running host sampler (an engine worker for every host). */
export interface HostCapacitySampler {
  readonly name: string;
  readonly host: string;
  /** Sample every `sampleEveryMs`, report every `reportEveryMs` (the first sample primes the deltas). */
  start(context: { store: EventStore }): void;
  /** Stop; resolves once a turn in flight has finished. */
  stop(): Promise<void>;
  /** Take one sample now (the first one only records the starting CPU and event-loop times). */
  sample(): void;
  /** Append the summary of the samples since the last report; null (nothing appended) when there are none. */
  report(): Promise<HostResourcesReport | null>;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** The machine's name made a valid label, so the default never fails validation. */
const machineName = (): string =>
  machineHostName()
    .replace(/[^A-Za-z0-9_.:-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128) || 'host';
const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
const intIn = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function validate(o: HostCapacitySamplerOptions, host: string, sampleMs: number, reportMs: number): void {
  const issues: string[] = [];
  if (!HOST_NAME.test(host))
    issues.push(`host: "${host}" is not a host name (letters, digits, _ . : -; 128 at most)`);
  if (!intIn(reportMs, 60_000, 86_400_000))
    issues.push(`reportEveryMs: expected an integer from 60000 (a minute) to a day, got ${String(reportMs)}`);
  if (!intIn(sampleMs, 1_000, Math.max(1_000, reportMs)))
    issues.push(`sampleEveryMs: expected an integer from 1000 to reportEveryMs, got ${String(sampleMs)}`);
  for (const [key, value] of Object.entries(o.limits ?? {})) {
    if (!['memoryBytes', 'cores'].includes(key)) issues.push(`limits.${key}: unknown`);
    else if (value !== undefined && !positive(value))
      issues.push(`limits.${key}: expected a positive number, got ${String(value)}`);
  }
  if (issues.length > 0) throw new CapacityConfigError(issues);
}

/**
 * Sample this host's CPU (process CPU time per second, in cores, against
 * the cores it may use), event loop utilisation, resident memory (against
 * the cgroup's limit, else the machine's memory) and V8 heap (against its
 * limit), and report them for the capacity check. Pass it to
 * `createSyncEngine({ workers })` on every host, next to
 * `capacityCheckSchedule`. Bad options throw `CapacityConfigError`.
 *
 * @example
 * ```ts
 * createSyncEngine({ ...config, workers: [hostCapacitySampler({ host: process.env.POD_NAME })] });
 * ```
 */
export function hostCapacitySampler(options: HostCapacitySamplerOptions = {}): HostCapacitySampler {
  const host = options.host ?? machineName();
  const sampleEveryMs = options.sampleEveryMs ?? 60_000;
  const reportEveryMs = options.reportEveryMs ?? 3_600_000;
  validate(options, host, sampleEveryMs, reportEveryMs);
  const probe = options.probe ?? processProbe(options.cgroup);
  const now = options.now ?? Date.now;
  const logger = resolveLogger(options.logger, 'hostCapacitySampler');
  const window = new HostWindow();
  let previous: { at: number; cpu: number; loop: { active: number; idle: number } } | undefined;
  let from = now();
  let count = 0;
  let heapLimit = 0;
  let store: EventStore | undefined;
  let loop: PollLoop | undefined;

  const sample = (): void => {
    const at = now();
    const cpu = probe.cpuMicros();
    const loopTimes = probe.eventLoop();
    const memory = probe.memory();
    if (previous && at > previous.at) {
      window.add('host_cpu', (cpu - previous.cpu) / ((at - previous.at) * 1000));
      const active = loopTimes.active - previous.loop.active;
      const idle = loopTimes.idle - previous.loop.idle;
      if (active + idle > 0) window.add('host_event_loop', active / (active + idle));
    }
    window.add('host_memory', memory.rss);
    window.add('host_heap', memory.heapUsed);
    heapLimit = memory.heapLimit;
    previous = { at, cpu, loop: loopTimes };
    count++;
  };

  const limits = async (): Promise<HostLimits> => {
    const found = await probe.limits();
    const { cores, memoryBytes } = options.limits ?? {};
    return {
      ...found,
      ...(cores !== undefined && { cores, coresFrom: 'configured' as const }),
      ...(memoryBytes !== undefined && { memoryBytes, memoryFrom: 'configured' as const }),
    };
  };

  const report = async (): Promise<HostResourcesReport | null> => {
    if (!store || count === 0) return null;
    const l = await limits();
    const to = now();
    const data: HostResourcesReport = {
      host,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      samples: count,
      resources: window.summarize({
        host_cpu: l.cores,
        host_event_loop: 1,
        host_memory: l.memoryBytes,
        host_heap: heapLimit > 0 ? heapLimit : l.memoryBytes,
      }),
      limits: { coresFrom: l.coresFrom, memoryFrom: l.memoryFrom },
    };
    from = to;
    count = 0;
    await store.append(HOST_CAPACITY_STREAM, [{ type: 'system.host_resources_reported', data }], {
      aggregateType: 'system',
      idempotencyKey: `host-resources:${host}:${data.to}`,
      metadata: { source: 'monitoring' },
    });
    return data;
  };

  const turn = async (): Promise<void> => {
    sample();
    if (now() - from >= reportEveryMs) await report();
  };

  return {
    name: 'monitoring:host-capacity',
    host,
    sample,
    report,
    start(context) {
      if (loop) return;
      store = context.store;
      from = now();
      sample();
      loop = everyInterval(sampleEveryMs, turn, (err) =>
        logger.error({ component: 'monitoring', err }, 'host capacity sample or report failed'),
      );
    },
    async stop() {
      await loop?.stop();
      loop = undefined;
      store = undefined;
    },
  };
}
