/**
 * Redis for an example (`REDIS_URL`, default 127.0.0.1:6379): a `redis`
 * client and a `rateLimiter` on it. The client quits after the example.
 */
import { Redis } from 'ioredis';
import { createRedisRateLimiter } from '@creatorflow/sync/redis';
import type { DocSetup } from './types.js';

const setup: DocSetup = async () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const rateLimiter = createRedisRateLimiter({ redis, limit: 1000, windowMs: 60_000 });
  return {
    globals: { redis, rateLimiter },
    close: async () => {
      await redis.quit();
    },
  };
};
export default setup;
