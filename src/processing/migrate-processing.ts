/**
 * Tables of the processing module: checkpoints, leases, dead letters, projections,
 * partition layouts and members.
 */
import { runMigrations } from '../core/migrator.js';
import type { SqlClient } from '../core/sql-client.js';
import { migrations } from './sql/index.generated.js';

/**
 * Create or upgrade the processing tables in `schema` (component `processing`).
 * Safe to call from several processes at once.
 *
 * @example
 * ```ts
 * await migrateProcessing(sql, 'app');
 * ```
 */
export async function migrateProcessing(sql: SqlClient, schema: string): Promise<void> {
  await runMigrations(sql, { schema, component: 'processing', migrations });
}
