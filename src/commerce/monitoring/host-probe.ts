/**
 * The host probe: the raw readings the host capacity sampler turns into
 * per-minute samples — the process's CPU time, the event loop's busy time,
 * its memory, and the cores and memory it may use (the container's cgroup
 * limits when there are any, else the machine's). A port, so the sampler is
 * tested with scripted readings instead of burning CPU.
 */
import { availableParallelism, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { readCgroupLimits, type CgroupLimitsOptions, type CgroupVersion } from './cgroup-limits.js';

/** Where a limit came from. */
export type LimitSource = CgroupVersion | 'host' | 'configured';

/** The cores and memory this process may use. */
export interface HostLimits {
  cores: number;
  coresFrom: LimitSource;
  memoryBytes: number;
  memoryFrom: LimitSource;
}

/**
 * The readings the sampler takes.
 *
 * @example
 * ```ts
 * const probe: HostProbe = {
 *   cpuMicros: () => 1_500_000,
 *   eventLoop: () => ({ active: 200, idle: 800 }),
 *   memory: () => ({ rss: 300e6, heapUsed: 120e6, heapLimit: 2e9 }),
 *   limits: async () => ({ cores: 2, coresFrom: 'host', memoryBytes: 4e9, memoryFrom: 'host' }),
 * };
 * ```
 */
export interface HostProbe {
  /** CPU time the process has used so far, user + system, in µs (`process.cpuUsage()`). */
  cpuMicros(): number;
  /** The event loop's busy and idle time so far, ms (`performance.eventLoopUtilization()`). */
  eventLoop(): { active: number; idle: number };
  /** Memory now, bytes: resident set, V8 heap used, and the heap size V8 refuses to grow past. */
  memory(): { rss: number; heapUsed: number; heapLimit: number };
  /** The cores and memory this process may use. */
  limits(): Promise<HostLimits>;
}

/**
 * The probe of this process: `process.cpuUsage()`, the event loop's
 * utilisation, `process.memoryUsage.rss()`, `v8.getHeapStatistics()`, and
 * the cgroup's limits capped by the machine's (`os.availableParallelism()`,
 * `os.totalmem()`).
 *
 * @example
 * ```ts
 * const limits = await processProbe().limits(); // { cores: 2, coresFrom: 'host', memoryBytes: 536870912, memoryFrom: 'cgroup v2' }
 * ```
 */
export function processProbe(cgroup: CgroupLimitsOptions = {}): HostProbe {
  return {
    cpuMicros: () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    },
    eventLoop: () => {
      const { active, idle } = performance.eventLoopUtilization();
      return { active, idle };
    },
    memory: () => {
      const heap = getHeapStatistics();
      return {
        rss: process.memoryUsage.rss(),
        heapUsed: heap.used_heap_size,
        heapLimit: heap.heap_size_limit,
      };
    },
    limits: async () => {
      const limits = await readCgroupLimits(cgroup);
      const cores = availableParallelism();
      const memory = totalmem();
      const cgroupCores = limits.cores !== null && limits.cores < cores;
      const cgroupMemory = limits.memoryBytes !== null && limits.memoryBytes < memory;
      return {
        cores: cgroupCores ? limits.cores! : cores,
        coresFrom: cgroupCores ? limits.version! : 'host',
        memoryBytes: cgroupMemory ? limits.memoryBytes! : memory,
        memoryFrom: cgroupMemory ? limits.version! : 'host',
      };
    },
  };
}
