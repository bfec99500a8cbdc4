/**
 * The rate limiter contract (`@creatorflow/sync/testing`) on the in-memory
 * limiter and the Redis limiter (real Redis).
 */
import { Redis } from 'ioredis';
import { createMemoryRateLimiter } from '@creatorflow/sync/ingest';
import { createRedisRateLimiter } from '@creatorflow/sync/redis';
import { rateLimiterContract } from '@creatorflow/sync/testing';
import { redisUrl } from '../support/databases.js';

rateLimiterContract('memory', async (settings) => ({
  limiter: createMemoryRateLimiter(settings),
  close: async () => undefined,
}));

rateLimiterContract(
  'Redis',
  async (settings) => {
    const redis = new Redis(redisUrl()!);
    const prefix = `cf_contract_${Math.random().toString(36).slice(2)}:`;
    return {
      limiter: createRedisRateLimiter({ redis, prefix, ...settings }),
      close: async () => {
        redis.disconnect();
      },
    };
  },
  { skip: !redisUrl() },
);
