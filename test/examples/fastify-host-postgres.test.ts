/**
 * The host contract with `DATABASE_URL` set and no Redis: PostgreSQL for the
 * store and read models, PostgreSQL notifications for delta fan-out.
 */
import { afterAll, describe } from 'vitest';
import { startFastifyHost } from '../../examples/fastify-host/app.js';
import { dropPostgresSchema, postgresUrl, uniqueSchema } from '../support/databases.js';
import { hostContract } from './host-contract.js';

const databaseUrl = postgresUrl();
const schema = uniqueSchema('host');

describe.skipIf(databaseUrl === null)('on PostgreSQL', () => {
  hostContract('fastify (postgres)', startFastifyHost, { databaseUrl: databaseUrl ?? undefined, schema });
  afterAll(() => dropPostgresSchema(schema));
});
