/**
 * The host contract with `DATABASE_URL` set and no Redis: PostgreSQL for the
 * store and read models, PostgreSQL notifications for delta fan-out.
 */
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { startFastifyHost } from '../../examples/fastify-host/app.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { hostContract } from './host-contract.js';

const databaseUrl = postgresUrl();
const schema = uniqueSchema('host');

describe.skipIf(databaseUrl === null)('on PostgreSQL', () => {
  hostContract('fastify (postgres)', startFastifyHost, { databaseUrl: databaseUrl ?? undefined, schema });
  afterAll(async () => {
    const client = new pg.Client({ connectionString: databaseUrl! });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
});
