/**
 * Members of a partitioned processor in SQL (`processor_members`): each host
 * instance renews its row on a heartbeat; the live ones share the partitions.
 * The database clock decides who is live, so host clocks may disagree.
 */
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';

/**
 * Renew `member` of `name` for `ttlMs` (joining if needed) and return the live
 * members, sorted, this one included.
 *
 * @example
 * ```ts
 * const members = await heartbeatMember(sql, schema, 'projection:order_totals', 'web-1:42:9f1c', 20_000);
 * ```
 */
export async function heartbeatMember(
  sql: SqlQueryable,
  schema: string,
  name: string,
  member: string,
  ttlMs: number,
): Promise<string[]> {
  const t = memberTable(schema);
  // One round trip. The SELECT runs on the statement's snapshot, which does not
  // see the CTE's write, hence the UNION with what the upsert returned.
  const { rows } = await sql.query<{ member: string }>(
    `WITH beat AS (
       INSERT INTO ${t} (name, member, expires_at)
       VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
       ON CONFLICT (name, member) DO UPDATE SET expires_at = EXCLUDED.expires_at
       RETURNING member)
     SELECT member FROM beat
     UNION
     SELECT member FROM ${t} WHERE name = $1 AND member <> $2 AND expires_at >= clock_timestamp()
     ORDER BY member`,
    [name, member, ttlMs],
  );
  return rows.map((r) => r.member);
}

/**
 * Leave: delete this member's row, and the rows of members that died without
 * leaving (expired), so the table does not grow with every crash.
 *
 * @example
 * ```ts
 * await leaveMembers(sql, schema, 'projection:order_totals', 'web-1:42:9f1c');
 * ```
 */
export async function leaveMembers(
  sql: SqlQueryable,
  schema: string,
  name: string,
  member: string,
): Promise<void> {
  const t = memberTable(schema);
  // SKIP LOCKED: two members leaving at once must not deadlock over the same dead rows.
  await sql.query(
    `DELETE FROM ${t} WHERE name = $1 AND member IN (
       SELECT member FROM ${t} WHERE name = $1 AND (member = $2 OR expires_at < clock_timestamp())
          FOR UPDATE SKIP LOCKED)`,
    [name, member],
  );
}

function memberTable(schema: string): string {
  return `${quoteIdent(schema)}.processor_members`;
}
