/**
 * The seeded fault schedule: which fault, after how much quiet, on which
 * host, for how long. A pure function of the seed and the run's length, so a
 * failing run is replayed with `CHAOS_SEED`. Every kind comes up in each round
 * (a shuffled round of all kinds, then the next), so even the short form
 * (one round) covers them all.
 */
import { between, type Random } from '../../examples/simulator/random.js';
import { FAULT_KINDS, type FaultKind } from './history.js';
import type { StopMode } from './private-postgres.js';

/** One planned fault. */
export interface PlannedFault {
  n: number;
  kind: FaultKind;
  /** Quiet time before it, ms: after the previous fault ended and every host listens again. */
  gapMs: number;
  /** How long the fault lasts: host down, server down, lock held (0: instantaneous). */
  durationMs: number;
  /** Target of `kill_host`. */
  host?: number;
  /** How `restart_postgres` stops the server: a clean `fast` shutdown or an `immediate` crash. */
  mode?: StopMode;
}

/** Options of {@link planFaults}. */
export interface FaultPlanOptions {
  random: Random;
  /** Length of the fault phase, ms: whole rounds are planned until their planned time exceeds it. */
  phaseMs: number;
  hosts: number;
  /** Quiet time between the end of one fault and the start of the next, ms. */
  gapMs: readonly [number, number];
}

const DURATION_MS: Record<FaultKind, readonly [number, number]> = {
  kill_host: [1000, 3000],
  restart_postgres: [2000, 5000],
  terminate_backends: [0, 0],
  stop_redis: [4000, 8000],
  hold_lock: [5000, 8000],
};

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Plan the faults of a run.
 *
 * @example
 * ```ts
 * const plan = planFaults({ random: seededRandom(7), phaseMs: 60_000, hosts: 3, gapMs: [5000, 8000] });
 * ```
 */
export function planFaults(options: FaultPlanOptions): PlannedFault[] {
  const { random } = options;
  const plan: PlannedFault[] = [];
  let planned = 0;
  do {
    for (const kind of shuffled(random, FAULT_KINDS)) {
      const [min, max] = DURATION_MS[kind];
      const durationMs = Math.round(between(random, min, max));
      const gapMs = Math.round(between(random, options.gapMs[0], options.gapMs[1]));
      const fault: PlannedFault = { n: plan.length, kind, gapMs, durationMs };
      if (kind === 'kill_host') fault.host = Math.floor(random() * options.hosts);
      if (kind === 'restart_postgres') fault.mode = random() < 0.5 ? 'fast' : 'immediate';
      plan.push(fault);
      planned += gapMs + durationMs;
    }
  } while (planned < options.phaseMs);
  return plan;
}
