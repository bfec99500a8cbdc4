/**
 * Hosts survive every fault but a SIGKILL: a host process that exited by
 * itself (a database restart, a dropped connection, Redis going away) is a
 * violation, named with the fault it happened during.
 */
import type { FaultRecord, HostRecord } from '../history.js';
import { faultWindows } from './check-health.js';
import { verdict, type InvariantResult } from './invariant.js';

/**
 * @example
 * ```ts
 * checkHostsSurvived(hostRecords, faultRecords).ok
 * ```
 */
export function checkHostsSurvived(
  hosts: readonly HostRecord[],
  faults: readonly FaultRecord[],
): InvariantResult {
  const windows = faultWindows(faults);
  const violations = hosts
    .filter((r) => r.event === 'exit' && r.expected === false)
    .map((r) => {
      const during = windows
        .filter((w) => r.t >= w.start && r.t <= w.end + 10_000)
        .map((w) => `${w.n}:${w.kind}`);
      return {
        problem: 'host_died',
        host: r.host,
        t: r.t,
        code: r.code ?? null,
        signal: r.signal ?? null,
        duringFaults: during,
      };
    });
  return verdict(hosts.filter((r) => r.event === 'ready').length, violations);
}
