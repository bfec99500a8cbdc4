/**
 * Health against the faults: while a dependency was down (PostgreSQL
 * restarting, Redis stopped) some host's `/healthz` said so (`degraded` or
 * `down`), and at the end every host says `ok` again.
 */
import type { FaultKind, FaultRecord, HealthRecord } from '../history.js';
import { groupBy } from './group-by.js';
import { verdict, type InvariantResult } from './invariant.js';

/** Faults that take a dependency away: health must show them. */
export const OUTAGE_FAULTS: ReadonlySet<FaultKind> = new Set(['restart_postgres', 'stop_redis']);

/** Statuses that report a problem (an unreachable host reports nothing). */
const NOT_NOMINAL: ReadonlySet<string> = new Set(['degraded', 'down']);

/** Health reports answer within this after a fault ended, ms (one poll round plus a request). */
const GRACE_MS = 3000;

/** Statuses host records show at any time within [from, to]. */
function statusesDuring(records: readonly HealthRecord[], from: number, to: number): Set<string> {
  const seen = new Set<string>();
  let before: string | undefined;
  for (const r of records) {
    if (r.t <= from) before = r.status;
    else if (r.t <= to) seen.add(r.status);
  }
  if (before !== undefined) seen.add(before);
  return seen;
}

/** A fault's start and end records, paired. */
export function faultWindows(
  faults: readonly FaultRecord[],
): { n: number; kind: FaultKind; start: number; end: number; detail: string }[] {
  return [...groupBy(faults, (f) => f.n)].map(([n, pair]) => {
    const start = pair.find((f) => f.phase === 'start');
    const end = pair.find((f) => f.phase === 'end');
    return {
      n,
      kind: pair[0]!.kind,
      start: start?.t ?? 0,
      end: end?.t ?? Infinity,
      detail: end?.detail ?? 'did not end',
    };
  });
}

/** Faults of `windows` in progress at `t` (or ended less than `afterMs` before it), as `n:kind`. */
export function faultsAt(windows: ReturnType<typeof faultWindows>, t: number, afterMs = 10_000): string[] {
  return windows.filter((w) => t >= w.start && t <= w.end + afterMs).map((w) => `${w.n}:${w.kind}`);
}

/**
 * Some host reported each outage while it lasted.
 *
 * @example
 * ```ts
 * checkHealthDuringFaults(faultRecords, healthRecords).ok
 * ```
 */
export function checkHealthDuringFaults(
  faults: readonly FaultRecord[],
  health: readonly HealthRecord[],
): InvariantResult {
  const byHost = groupBy(health, (r) => r.host);
  const outages = faultWindows(faults).filter((w) => OUTAGE_FAULTS.has(w.kind));
  const violations = outages
    .filter(
      (w) =>
        ![...byHost.values()].some((records) =>
          [...statusesDuring(records, w.start, w.end + GRACE_MS)].some((s) => NOT_NOMINAL.has(s)),
        ),
    )
    .map((w) => ({
      problem: 'outage_not_reported',
      fault: w.n,
      kind: w.kind,
      window: [w.start, w.end],
      reported: Object.fromEntries(
        [...byHost].map(([host, records]) => [host, [...statusesDuring(records, w.start, w.end + GRACE_MS)]]),
      ),
    }));
  return verdict(outages.length, violations);
}

/**
 * Every host's last health report (at `at`, the end of the run) is `ok`.
 *
 * @example
 * ```ts
 * checkHealthNominalAtEnd(healthRecords, 3, quiescedAt).ok
 * ```
 */
export function checkHealthNominalAtEnd(
  health: readonly HealthRecord[],
  hosts: number,
  at: number,
): InvariantResult {
  const byHost = groupBy(health, (r) => r.host);
  const violations: unknown[] = [];
  for (let host = 0; host < hosts; host++) {
    const last = (byHost.get(host) ?? []).filter((r) => r.t <= at).at(-1);
    if (last?.status !== 'ok')
      violations.push({
        problem: 'not_nominal_at_end',
        host,
        status: last?.status ?? 'never_polled',
        since: last?.t ?? null,
      });
  }
  return verdict(hosts, violations);
}
