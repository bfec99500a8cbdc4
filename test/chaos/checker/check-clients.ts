/**
 * Realtime copies: each client's rows at the end equal the server's rows for
 * its channel, filter and tenant (recorded side by side by the runner after
 * waiting for them to converge).
 */
import type { ClientRecord } from '../history.js';
import { diffRows, sameRows } from './diff-rows.js';
import { verdict, type InvariantResult } from './invariant.js';

/**
 * @example
 * ```ts
 * checkClients(clientRecords).ok
 * ```
 */
export function checkClients(records: readonly ClientRecord[]): InvariantResult {
  const violations: unknown[] = [];
  for (const r of records) {
    const diff = diffRows(r.rows, r.serverRows, r.keyColumns);
    if (sameRows(diff)) continue;
    violations.push({
      problem: 'copy_differs',
      client: r.name,
      host: r.host,
      channel: r.channel,
      filter: r.filter ?? null,
      cursor: r.cursor,
      state: r.state,
      stats: r.stats,
      missing: diff.missing.slice(0, 5),
      extra: diff.extra.slice(0, 5),
      different: diff.different.slice(0, 5),
    });
  }
  return verdict(records.length, violations);
}
