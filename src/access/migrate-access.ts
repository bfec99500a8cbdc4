/**
 * The access tables (access audit, service API keys) under migration component `access`.
 */
import { runMigrations } from '../core/migrator.js';
import type { SqlClient } from '../core/sql-client.js';
import { migrations } from './sql/index.generated.js';

/**
 * Migration component name of the access tables.
 *
 * @example
 * ```ts
 * await runMigrations(sql, { schema, component: ACCESS_COMPONENT, migrations });
 * ```
 */
export const ACCESS_COMPONENT = 'access';

/**
 * Create or upgrade `<schema>.access_audit` and `<schema>.service_api_keys`.
 *
 * @example
 * ```ts
 * await migrateAccess(sql, 'app');
 * ```
 */
export async function migrateAccess(sql: SqlClient, schema: string): Promise<void> {
  await runMigrations(sql, { schema, component: ACCESS_COMPONENT, migrations });
}
