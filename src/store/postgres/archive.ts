/**
 * Retention: whole months move out of the live log into `archived_events_YYYY_MM`
 * tables (same schema, same rows), and back again on request.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { quoteIdent, type SqlClient } from '../../core/sql-client.js';
import { monthStart, partitionTable } from './partitions.js';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const archiveTable = (month: string) => `archived_${partitionTable(month)}`;

/** Detach every live month ending on or before `olderThan`; returns the months archived. */
export async function archiveMonths(
  sql: SqlClient,
  schema: string,
  liveMonths: readonly string[],
  olderThan: Date,
): Promise<string[]> {
  const s = quoteIdent(schema);
  const due = liveMonths.filter((m) => monthStart(m, 1).getTime() <= olderThan.getTime());
  for (const month of due) {
    await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`creatorflow.partitions:${schema}`]);
      const live = `${s}.${quoteIdent(partitionTable(month))}`;
      const archived = quoteIdent(archiveTable(month));
      await tx.query(`ALTER TABLE ${s}.events DETACH PARTITION ${live}`);
      const { rows } = await tx.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
        `${s}.${archived}`,
      ]);
      if (rows[0]?.t) {
        // Archived before: fold the newly detached rows into the existing archive.
        await tx.query(`INSERT INTO ${s}.${archived} SELECT * FROM ${live}`);
        await tx.query(`DROP TABLE ${live}`);
      } else {
        await tx.query(`ALTER TABLE ${live} RENAME TO ${archived}`);
      }
      await tx.query(
        `INSERT INTO ${s}.archived_partitions (month, table_name) VALUES ($1, $2)
           ON CONFLICT (month) DO UPDATE SET archived_at = now()`,
        [month, archiveTable(month)],
      );
    });
  }
  return due;
}

/** Move an archived month back into the live log. */
export async function restoreMonth(sql: SqlClient, schema: string, month: string): Promise<void> {
  if (!MONTH.test(month)) throw new InvalidArgumentError(`month must look like "2024-01", got "${month}"`);
  const s = quoteIdent(schema);
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`creatorflow.partitions:${schema}`]);
    const known = await tx.query(`SELECT 1 FROM ${s}.archived_partitions WHERE month = $1`, [month]);
    if (known.rows.length === 0) throw new InvalidArgumentError(`month ${month} is not archived`);
    const archived = `${s}.${quoteIdent(archiveTable(month))}`;
    const liveName = partitionTable(month);
    const { rows } = await tx.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
      `${s}.${quoteIdent(liveName)}`,
    ]);
    if (rows[0]?.t) {
      // Appends re-created the month meanwhile: merge the archive into it.
      await tx.query(`INSERT INTO ${s}.events SELECT * FROM ${archived}`);
      await tx.query(`DROP TABLE ${archived}`);
    } else {
      await tx.query(`ALTER TABLE ${archived} RENAME TO ${quoteIdent(liveName)}`);
      await tx.query(
        `ALTER TABLE ${s}.events ATTACH PARTITION ${s}.${quoteIdent(liveName)}
           FOR VALUES FROM ('${monthStart(month).toISOString()}') TO ('${monthStart(month, 1).toISOString()}')`,
      );
    }
    await tx.query(`DELETE FROM ${s}.archived_partitions WHERE month = $1`, [month]);
  });
}
