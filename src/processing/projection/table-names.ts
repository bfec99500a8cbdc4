/**
 * Naming and migrating a projection's table (live or a fresh rebuild generation).
 */
import { runMigrations } from '../../core/migrator.js';
import { quoteIdent, type SqlClient, type SqlQueryable } from '../../core/sql-client.js';
import type { ProjectionDefinition } from './definition.js';

/**
 * Replace `:TABLE:`, `:TABLE_NAME:` and `:SCHEMA:` in a projection migration.
 *
 * @example
 * ```ts
 * renderMigration('CREATE TABLE :TABLE: (id text PRIMARY KEY)', 'cf', 'totals') // 'CREATE TABLE "cf"."totals" (…)'
 * ```
 */
export function renderMigration(sql: string, schema: string, table: string): string {
  return sql
    .replaceAll(':TABLE_NAME:', table)
    .replaceAll(':TABLE:', `${quoteIdent(schema)}.${quoteIdent(table)}`)
    .replaceAll(':SCHEMA:', quoteIdent(schema));
}

/** The advisory-lock key that inline hooks share and a rebuild swap takes exclusively. */
export function projectionLockKey(schema: string, definition: ProjectionDefinition): string {
  return `creatorflow.projection:${schema}.${definition.name}`;
}

/** The processor name of an async projection. */
export function projectionProcessorName(definition: ProjectionDefinition): string {
  return `projection:${definition.name}`;
}

/**
 * Apply a projection's pending migrations to its live table (component
 * `projection:<name>`) and register it.
 *
 * @example
 * ```ts
 * await migrateProjectionTable(sql, 'creatorflow', orderTotals);
 * ```
 */
export async function migrateProjectionTable(
  sql: SqlClient,
  schema: string,
  definition: ProjectionDefinition,
): Promise<void> {
  await runMigrations(sql, {
    schema,
    component: `projection:${definition.name}`,
    migrations: definition.migrations.map((text, i) => ({
      version: i + 1,
      name: `${definition.name}_${i + 1}`,
      // :SCHEMA: is left for the migrator to fill in.
      sql: text
        .replaceAll(':TABLE_NAME:', definition.table)
        .replaceAll(':TABLE:', `:SCHEMA:.${quoteIdent(definition.table)}`),
    })),
  });
  await sql.query(
    `INSERT INTO ${quoteIdent(schema)}.projections (name, table_name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
    [definition.name, definition.table],
  );
}

/** The live generation of a projection (0 before its first rebuild). */
export async function projectionGeneration(sql: SqlQueryable, schema: string, name: string): Promise<number> {
  const { rows } = await sql.query<{ generation: number }>(
    `SELECT generation FROM ${quoteIdent(schema)}.projections WHERE name = $1`,
    [name],
  );
  return Number(rows[0]?.generation ?? 0);
}
