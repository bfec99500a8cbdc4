/**
 * Hosts survive every fault but a SIGKILL: a host process that exited by
 * itself (a database restart, a dropped connection, Redis going away) is a
 * violation, named with the fault it happened during.
 */
import type { FaultRecord, HostRecord } from '../history.js';
import { faultWindows, faultsAt } from './check-health.js';
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
    .map((r) => ({
      problem: 'host_died',
      host: r.host,
      t: r.t,
      code: r.code ?? null,
      signal: r.signal ?? null,
      duringFaults: faultsAt(windows, r.t),
    }));
  return verdict(hosts.filter((r) => r.event === 'ready').length, violations);
}
