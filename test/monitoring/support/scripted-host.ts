/**
 * A host for the capacity tests whose readings the test sets (the host
 * sampler's probe): time passes by the minute at a chosen CPU and event-loop
 * load and resident memory, so no test burns CPU or sleeps.
 */
import type { HostProbe } from '../../../src/commerce/monitoring/host-probe.js';

export const MINUTE = 60_000;
export const GB = 1e9;

/** A process whose readings the test sets: cumulative CPU µs and event-loop ms, memory now. */
export function scriptedHost(limits = { cores: 2, memoryBytes: 4 * GB }) {
  const state = { cpuMicros: 0, active: 0, idle: 0, rss: 0, heapUsed: 100e6 };
  const probe: HostProbe = {
    cpuMicros: () => state.cpuMicros,
    eventLoop: () => ({ active: state.active, idle: state.idle }),
    memory: () => ({ rss: state.rss, heapUsed: state.heapUsed, heapLimit: 2 * GB }),
    limits: async () => ({ ...limits, coresFrom: 'host', memoryFrom: 'cgroup v2' }),
  };
  /** One minute passes at `cores` of CPU and `busy` event-loop share, ending with `rss` resident. */
  const minute = (cores: number, busy: number, rss: number) => {
    state.cpuMicros += cores * MINUTE * 1000;
    state.active += busy * MINUTE;
    state.idle += (1 - busy) * MINUTE;
    state.rss = rss;
  };
  return { probe, minute, state };
}
