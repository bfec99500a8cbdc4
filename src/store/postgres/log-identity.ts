/**
 * Reading a SQL log's identity (`EventStore.logIdentity`): the random id store
 * migration 11 made with the log, and the events table's oid, which a fresh
 * database, a schema made again or a logical restore gives anew even where the
 * id was copied along.
 */
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';
import { MigrationError } from '../../core/errors.js';

/**
 * The identity of the log in `schema`.
 *
 * @example
 * ```ts
 * await readLogIdentity(sql, 'app'); // '5b0c2f0e-….16423'
 * ```
 */
export async function readLogIdentity(sql: SqlQueryable, schema: string): Promise<string> {
  const table = `${quoteIdent(schema)}.events`;
  const { rows } = await sql.query<{ identity: string }>(
    `SELECT l.id::text || '.' || to_regclass($1)::oid::text AS identity
       FROM ${quoteIdent(schema)}.log_identity l`,
    [table],
  );
  const identity = rows[0]?.identity;
  if (!identity)
    throw new MigrationError(
      'MIGRATION_FAILED',
      `the log of schema "${schema}" has no identity row: run store.migrate()`,
    );
  return identity;
}
