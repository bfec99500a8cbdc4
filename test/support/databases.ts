/**
 * Test databases: every store-backed suite runs against embedded PGlite and a
 * real PostgreSQL server, each test file in a schema of its own.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { fromPglite, openPglite, type OpenedPglite } from '../../src/adapters/pglite.js';
import type { SqlClient } from '../../src/core/sql-client.js';

/** A database opened for one test (or one file), with its own schema name. */
export interface TestDatabase {
  sql: SqlClient;
  /** A fresh schema name no other test uses. */
  schema: string;
  /** Close everything this database opened (and drop the schema on PostgreSQL). */
  close(): Promise<void>;
}

/** An engine the suites run against. */
export interface TestEngine {
  name: 'pglite' | 'postgres';
  /** False when the server is down and REQUIRE_SERVICES is not set: the suite is skipped. */
  available: boolean;
  open(): Promise<TestDatabase>;
}

/** A schema name unique to this call, safe as an identifier. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

let sharedPglite: Promise<OpenedPglite> | undefined;

/**
 * Embedded PGlite: always available. Booting PGlite takes about half a second
 * (seeded from the cached template), so a
 * test worker shares one instance and isolates each open() in its own schema.
 */
export const pgliteEngine: TestEngine = {
  name: 'pglite',
  available: true,
  async open() {
    sharedPglite ??= openPglite();
    const db = await sharedPglite;
    const schema = uniqueSchema();
    return {
      sql: fromPglite(db),
      schema,
      async close() {
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  },
};

/** The PostgreSQL server the global setup found (or none). */
export function postgresUrl(): string | null {
  return inject('postgresUrl');
}

/** The Redis server the global setup found (or none). */
export function redisUrl(): string | null {
  return inject('redisUrl');
}

/** Real PostgreSQL: a pool per call, a fresh schema dropped on close. */
export const postgresEngine: TestEngine = {
  name: 'postgres',
  get available() {
    return postgresUrl() !== null;
  },
  async open() {
    const url = postgresUrl();
    if (!url) throw new Error('PostgreSQL is not available');
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const sql = fromPg(pool);
    const schema = uniqueSchema();
    return {
      sql,
      schema,
      async close() {
        await sql.close?.();
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
        await pool.end();
      },
    };
  },
};

/**
 * Drop a schema on the test PostgreSQL server (suites whose hosts made it).
 *
 * @example
 * ```ts
 * afterAll(() => dropPostgresSchema(schema));
 * ```
 */
export async function dropPostgresSchema(schema: string): Promise<void> {
  const url = postgresUrl();
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Both SQL engines, for `describe.each` / contract suites. */
export const sqlEngines: readonly TestEngine[] = [pgliteEngine, postgresEngine];
