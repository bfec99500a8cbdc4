/**
 * Load generators: a closed loop (N callers, each waiting for its own call) and
 * an open loop (calls started on a fixed schedule, whatever the latency).
 */
import { latencySummary, nowMs } from './stats.js';

/** What one load run measured. */
export interface LoadResult {
  events_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  duration_ms: number;
}

/** Options of {@link closedLoop}. */
export interface ClosedLoopOptions {
  /** Concurrent callers. */
  concurrency: number;
  /** Calls in total, shared between the callers. */
  calls: number;
  /** Events written by one call (for events_per_s). */
  eventsPerCall: number;
  /** One call; `i` is unique across the run. */
  call(i: number): Promise<unknown>;
}

/**
 * Run `calls` calls from `concurrency` callers; each caller starts its next
 * call as soon as its previous one returned.
 *
 * @example
 * ```ts
 * const r = await closedLoop({ concurrency: 64, calls: 20_000, eventsPerCall: 1, call: (i) => append(i) });
 * ```
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const latencies = new Array<number>(options.calls);
  let next = 0;
  const caller = async (): Promise<void> => {
    for (let i = next++; i < options.calls; i = next++) {
      const t0 = nowMs();
      await options.call(i);
      latencies[i] = nowMs() - t0;
    }
  };
  const start = nowMs();
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  const duration = nowMs() - start;
  return {
    events_per_s: Math.round((options.calls * options.eventsPerCall) / (duration / 1000)),
    ...latencySummary(latencies),
    duration_ms: Math.round(duration),
  };
}

/** Options of {@link openLoop}. */
export interface OpenLoopOptions {
  /** Calls per second. */
  ratePerS: number;
  /** Calls in total. */
  calls: number;
  /** One call, started at its scheduled time. */
  call(i: number): Promise<unknown>;
}

/**
 * Start calls on a fixed schedule (i / rate seconds after the start) without
 * waiting for earlier ones, so a slow consumer cannot slow the producer down.
 * Resolves once every call settled; returns the time each call was due.
 *
 * @example
 * ```ts
 * const due = await openLoop({ ratePerS: 2000, calls: 20_000, call: (i) => append(i) });
 * ```
 */
export async function openLoop(options: OpenLoopOptions): Promise<{ dueMs: number[]; lagMs: number }> {
  const dueMs = new Array<number>(options.calls);
  const pending: Promise<unknown>[] = [];
  const intervalMs = 1000 / options.ratePerS;
  const start = nowMs();
  let i = 0;
  let maxLag = 0;
  while (i < options.calls) {
    const now = nowMs();
    // Start every call that is due; timers fire at most every ~1 ms, so due calls come in small bursts.
    while (i < options.calls && start + i * intervalMs <= now) {
      dueMs[i] = start + i * intervalMs;
      maxLag = Math.max(maxLag, now - dueMs[i]!);
      pending.push(options.call(i));
      i++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { dueMs, lagMs: Math.round(maxLag * 100) / 100 };
}
