/**
 * A PostgreSQL server for an example: `pool` (node-postgres) and `sql` on it,
 * in the database the test made for this run (`DOCS_DATABASE_URL`, dropped
 * after the run), so the docs' schemas (`creatorflow`, `app`) meet no one
 * else's. The pool ends after the example.
 */
import pg from 'pg';
import { fromPg } from '@creatorflow/sync/pg';
import type { DocSetup } from './types.js';

const setup: DocSetup = async () => {
  const url = process.env.DOCS_DATABASE_URL;
  if (!url) throw new Error('DOCS_DATABASE_URL is not set: the test creates a database per run');
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // An idle client's error must not kill the process (node-postgres).
  pool.on('error', () => undefined);
  return { globals: { pool, sql: fromPg(pool) }, close: () => pool.end() };
};
export default setup;
