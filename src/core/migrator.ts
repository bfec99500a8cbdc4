/**
 * Numbered SQL migrations per component (store, processing, conflicts, …),
 * applied in one transaction under an advisory lock, so several processes may
 * call `migrate()` at once.
 */
import { MigrationError } from './errors.js';
import { quoteIdent, type SqlClient } from './sql-client.js';

/** One numbered migration. `:SCHEMA:` in its SQL is replaced by the quoted schema name. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Options of {@link runMigrations}.
 *
 * @example
 * ```ts
 * await runMigrations(sql, { schema: 'app', component: 'my_tables', migrations });
 * ```
 */
export interface RunMigrationsOptions {
  /** PostgreSQL schema holding the component's tables. */
  schema: string;
  /** Component name; each component has its own version sequence. */
  component: string;
  migrations: readonly Migration[];
}

/**
 * Apply the pending migrations of one component. Refuses (`SCHEMA_TOO_NEW`) when
 * the database holds a version this code does not know.
 *
 * @example
 * ```ts
 * await runMigrations(sql, { schema: 'creatorflow', component: 'store', migrations });
 * ```
 */
export async function runMigrations(sql: SqlClient, options: RunMigrationsOptions): Promise<number[]> {
  const { schema, component, migrations } = options;
  const s = quoteIdent(schema);
  const latest = migrations.length;
  try {
    return await sql.transaction(async (tx) => {
      // Transaction-scoped lock: released by COMMIT/ROLLBACK even if the process dies.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`creatorflow.migrate:${schema}`]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
           component text NOT NULL, version int NOT NULL, name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`,
      );
      const { rows } = await tx.query<{ v: number | null }>(
        `SELECT max(version) AS v FROM ${s}.schema_migrations WHERE component = $1`,
        [component],
      );
      const current = rows[0]?.v ?? 0;
      if (current > latest) {
        throw new MigrationError(
          'SCHEMA_TOO_NEW',
          `Schema "${schema}" has ${component} migration ${current}, newer than this library's ${latest}; upgrade @creatorflow/sync`,
        );
      }
      const applied: number[] = [];
      for (const m of migrations) {
        if (m.version <= current) continue;
        await tx.exec(m.sql.replaceAll(':SCHEMA:', s));
        await tx.query(`INSERT INTO ${s}.schema_migrations (component, version, name) VALUES ($1, $2, $3)`, [
          component,
          m.version,
          m.name,
        ]);
        applied.push(m.version);
      }
      return applied;
    });
  } catch (err) {
    if (err instanceof MigrationError) throw err;
    throw new MigrationError(
      'MIGRATION_FAILED',
      `Migrating ${component} in schema "${schema}" failed: ${String(err)}`,
      {
        cause: err,
      },
    );
  }
}
