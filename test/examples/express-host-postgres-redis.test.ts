/**
 * The host contract with `DATABASE_URL` and `REDIS_URL` set: PostgreSQL for
 * the store and read models, Redis for rate limits and delta fan-out.
 */
import { afterAll, describe } from 'vitest';
import { startExpressHost } from '../../examples/express-host/app.js';
import { dropPostgresSchema, postgresUrl, redisUrl, uniqueSchema } from '../support/databases.js';
import { hostContract } from './host-contract.js';

const databaseUrl = postgresUrl();
const redis = redisUrl();
const schema = uniqueSchema('host');

describe.skipIf(databaseUrl === null || redis === null)('on PostgreSQL and Redis', () => {
  hostContract('express (postgres + redis)', startExpressHost, {
    databaseUrl: databaseUrl ?? undefined,
    redisUrl: redis ?? undefined,
    schema,
  });
  afterAll(() => dropPostgresSchema(schema));
});
