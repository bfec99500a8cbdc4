/**
 * `resolve-sync-conflicts` settles every report once: as a contender of one
 * audited conflict, or as the cause of one lone outcome. A report settled
 * twice — audited by two conflicts, or audited and also applied alone, or
 * applied alone twice — is a write the faults doubled: a holder that died
 * after its settle committed and a successor that cut the report again
 * (docs/conflicts.md, step 3). A report with no settlement is not checked: a
 * lone report that changes nothing writes nothing, and one still in its
 * window's grace is staged.
 */
import { quoteIdent, type SqlClient } from '../../../src/core/sql-client.js';
import { groupBy } from './group-by.js';
import { verdict, type InvariantResult } from './invariant.js';

/** What the check reads: the reports, and where each was settled. */
export interface SettledReports {
  /** Ids of the `inventory.stock_reported` and `order.state_reported` events. */
  reports: string[];
  /** One row per contender of an audited conflict. */
  audited: { conflictId: string; eventId: string }[];
  /** One row per lone outcome (no correlation id), with the report it names as its cause. */
  lone: { eventId: string; causationId: string }[];
}

/**
 * Read the reports and their settlements from `schema` (nothing when the conflict flow never ran).
 *
 * @example
 * ```ts
 * const settled = await loadSettledReports(sql, 'chaos');
 * ```
 */
export async function loadSettledReports(sql: SqlClient, schema: string): Promise<SettledReports> {
  const s = quoteIdent(schema);
  const { rows: reports } = await sql.query<{ id: string }>(
    `SELECT id::text AS id FROM ${s}.events
      WHERE event_type IN ('inventory.stock_reported', 'order.state_reported')`,
  );
  const { rows: lone } = await sql.query<{ eventId: string; causationId: string }>(
    `SELECT id::text AS "eventId", metadata->>'causationId' AS "causationId" FROM ${s}.events
      WHERE metadata->>'source' = 'resolve-sync-conflicts' AND metadata->>'correlationId' IS NULL
        AND metadata->>'causationId' IS NOT NULL`,
  );
  const { rows: present } = await sql.query<{ audit: string | null }>(
    `SELECT to_regclass($1)::text AS audit`,
    [`${s}.conflict_audit`],
  );
  if (present[0]?.audit == null) return { reports: reports.map((r) => r.id), audited: [], lone };
  // A stored contender is a tuple with its event id first (format 2) or an object (format 1).
  const { rows: audited } = await sql.query<{ conflictId: string; eventId: string }>(
    `SELECT a.conflict_id::text AS "conflictId", coalesce(c->>0, c->>'eventId') AS "eventId"
       FROM ${s}.conflict_audit a, jsonb_array_elements(a.record->'resolution'->'contenders') c`,
  );
  return { reports: reports.map((r) => r.id), audited, lone };
}

/**
 * No report settled more than once; `checked` is the reports.
 *
 * @example
 * ```ts
 * checkReportsSettledOnce(await loadSettledReports(sql, 'chaos')).ok
 * ```
 */
export function checkReportsSettledOnce(data: SettledReports): InvariantResult {
  const reports = new Set(data.reports);
  const settlements = [
    ...data.audited.map((a) => ({ reportId: a.eventId, by: `conflict ${a.conflictId}` })),
    ...data.lone.map((l) => ({ reportId: l.causationId, by: `lone outcome ${l.eventId}` })),
  ].filter((s) => reports.has(s.reportId));
  const violations = [...groupBy(settlements, (s) => s.reportId)]
    .filter(([, list]) => list.length > 1)
    .map(([reportId, list]) => ({ problem: 'report_settled_twice', reportId, by: list.map((s) => s.by) }));
  return verdict(reports.size, violations);
}
