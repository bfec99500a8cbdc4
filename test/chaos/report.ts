/**
 * The one JSON report of a run: whether it passed, which invariants failed,
 * each invariant's verdict with evidence, the faults as injected, traffic
 * figures, and what went wrong in the harness itself.
 */
import type { InvariantName, RunVerdict } from './checker/check-run.js';
import type { InvariantResult } from './checker/invariant.js';
import type { ChaosConfig } from './config.js';

/** Problems of the harness (not of the system under test): a fault not injected, a bound hit. */
export interface HarnessNotes {
  errors: string[];
  /** Every webhook was acknowledged or given up before the drain bound. */
  drained: boolean;
  /** Sagas finished and readers caught up before the quiesce bound. */
  settled: boolean;
  /** Traffic ticks skipped because 400 webhooks were in flight (the fixed rate was not held). */
  skippedTicks: number;
  /** History and host logs (kept when the run failed or CHAOS_KEEP=1), else null. */
  runDir: string | null;
}

/** The report. */
export interface ChaosReport {
  ok: boolean;
  /** Names of the invariants that failed. */
  violated: InvariantName[];
  form: ChaosConfig['form'];
  seed: number;
  hosts: number;
  /** Framework of each host, by index. */
  frameworks: string[];
  rate: number;
  /** Whether the hosts ran with admission control (`CHAOS_ADMISSION`). */
  admission: 'on' | 'off';
  /** How the hosts' conflict flow cut windows (`CHAOS_CONFLICT_WINDOWS`). */
  conflictWindows: 'anchored' | 'staggered';
  durationS: number;
  traffic: RunVerdict['traffic'];
  faults: RunVerdict['faults'];
  invariants: Record<InvariantName, InvariantResult>;
  harness: HarnessNotes;
}

/**
 * @example
 * ```ts
 * const report = buildReport(config, verdict, notes, Date.now() - started);
 * process.exitCode = report.ok ? 0 : 1;
 * ```
 */
export function buildReport(
  config: ChaosConfig,
  verdict: RunVerdict,
  harness: HarnessNotes,
  durationMs: number,
): ChaosReport {
  const violated = (Object.keys(verdict.invariants) as InvariantName[]).filter(
    (name) => !verdict.invariants[name].ok,
  );
  return {
    ok: violated.length === 0 && harness.errors.length === 0,
    violated,
    form: config.form,
    seed: config.seed,
    hosts: config.hosts,
    frameworks: Array.from(
      { length: config.hosts },
      (_, i) => config.frameworks[i % config.frameworks.length]!,
    ),
    rate: config.rate,
    admission: config.admission ? 'on' : 'off',
    conflictWindows: config.conflictWindows,
    durationS: Math.round(durationMs / 100) / 10,
    traffic: verdict.traffic,
    faults: verdict.faults,
    invariants: verdict.invariants,
    harness,
  };
}
