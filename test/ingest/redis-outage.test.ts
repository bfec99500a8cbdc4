/**
 * Redis down must not stop webhook intake: with the Redis rate limiter and its
 * own redis-server stopped, every webhook is still answered promptly (per
 * process by default, or by the host's policy), nothing hangs, the client's
 * errors are handled, health sees `degraded`, and limits go back to Redis when
 * it returns.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisRateLimiter, type RedisRateLimiter } from '../../src/adapters/redis.js';
import type { HttpResponse } from '../../src/http/types.js';
import type { RateLimiterStatus } from '../../src/ingest/rate-limiter.js';
import { createTikTokWebhookHandler } from '../../src/commerce/ingest/tiktok/webhook-handler.js';
import type { EventStore } from '../../src/store/types.js';
import { ownRedis, redisServerAvailable, type OwnRedis } from './redis-server.js';
import {
  APP_KEY,
  APP_SECRET,
  NOW_MS,
  SHOP_ID,
  allEvents,
  json,
  memoryStore,
  tiktokEnvelope,
  tiktokRequest,
} from './support.js';

/** Fails when the answer takes longer than `ms`: "answered promptly", bounded generously. */
function within(ms: number, answer: Promise<HttpResponse>): Promise<HttpResponse> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

describe.skipIf(!redisServerAvailable())('Redis rate limiter while Redis is down (own redis-server)', () => {
  let server: OwnRedis;
  let redis: Redis;
  let admin: Redis;
  let store: EventStore;
  const limiters: RedisRateLimiter[] = [];
  const prefix = `test:outage:${randomBytes(4).toString('hex')}:`;
  const key = `${prefix}tiktok:${SHOP_ID}`;
  const unhandled = vi.spyOn(console, 'error');

  beforeAll(async () => {
    server = await ownRedis();
    // As the example host configures it: the configuration that hung and failed webhooks.
    redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
    admin = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    // The test's own client: its connection errors during the outage are expected.
    admin.on('error', () => undefined);
    await admin.connect();
    store = await memoryStore();
  });
  afterAll(async () => {
    for (const l of limiters) l.close();
    redis?.disconnect();
    admin?.disconnect();
    await store?.close();
    await server?.stop();
    unhandled.mockRestore();
  });

  const receiver = (options: Parameters<typeof createRedisRateLimiter>[0]) => {
    const limiter = createRedisRateLimiter(options);
    limiters.push(limiter);
    const handler = createTikTokWebhookHandler({
      store,
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      now: () => NOW_MS,
      rateLimiter: limiter,
    });
    return { limiter, send: () => within(2000, handler(tiktokRequest(tiktokEnvelope()))) };
  };
  const waitReady = (client: Redis) => expect.poll(() => client.status, { timeout: 30_000 }).toBe('ready');

  it('answers 100 webhooks promptly with 2xx during the outage, and limits in Redis again after it', async () => {
    const { limiter, send } = receiver({ redis, prefix, limit: 1000, windowMs: 60_000 });
    const changes: RateLimiterStatus[] = [];
    limiter.events.on('rate-limiter:degraded', (s) => changes.push(s));
    limiter.events.on('rate-limiter:recovered', (s) => changes.push(s));
    await waitReady(redis);
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200);
    expect(await admin.zcard(key)).toBe(3);
    expect(limiter.status()).toMatchObject({ backend: 'redis', state: 'ok' });

    await server.stop();
    const responses = await Promise.all(Array.from({ length: 100 }, () => send()));
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 200));
    expect(limiter.status()).toMatchObject({ state: 'degraded', policy: 'local' });
    expect(limiter.status().lastError).toBeTruthy();

    await server.start();
    await waitReady(redis);
    await waitReady(admin);
    // Ready means Redis answered the client's ready check: ok without traffic
    // (a host's health must not wait for a webhook to say Redis is back).
    await expect.poll(() => limiter.status().state, { timeout: 30_000 }).toBe('ok');
    // Requests go to Redis again.
    await expect
      .poll(
        async () => {
          expect((await send()).status).toBe(200);
          return limiter.status().state;
        },
        { timeout: 30_000 },
      )
      .toBe('ok');
    const counted = await admin.zcard(key);
    expect((await send()).status).toBe(200);
    expect(await admin.zcard(key)).toBe(counted + 1);
    expect(changes.map((s) => s.state)).toEqual(['degraded', 'ok']);
    expect(unhandled.mock.calls.filter((c) => String(c[0]).includes('Unhandled error event'))).toEqual([]);
  });

  it('answers within the command timeout when Redis is connected but does not answer', async () => {
    const { limiter, send } = receiver({
      redis,
      prefix,
      limit: 1000,
      windowMs: 60_000,
      commandTimeoutMs: 200,
    });
    await waitReady(redis);
    expect((await send()).status).toBe(200);
    // Redis holds every client's commands for 3 s.
    await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
    const responses = await Promise.all(Array.from({ length: 20 }, () => send()));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(limiter.status()).toMatchObject({ state: 'degraded' });
    expect(limiter.status().lastError).toMatch(/did not answer within 200 ms/);
    await admin.call('CLIENT', 'UNPAUSE');
    await expect
      .poll(
        async () => {
          await send();
          return limiter.status().state;
        },
        { timeout: 30_000 },
      )
      .toBe('ok');
  });

  it('fails open or closed when the host chooses, closed as 503 with Retry-After', async () => {
    const open = receiver({ redis, prefix, whenUnavailable: 'allow' });
    const closed = receiver({ redis, prefix, whenUnavailable: 'deny', retryIntervalMs: 5000 });
    await server.stop();
    const received = async () =>
      (await allEvents(store)).filter((e) => e.type === 'tiktok.webhook_received').length;
    const before = await received();
    expect((await open.send()).status).toBe(200);
    const refused = await closed.send();
    expect(refused.status).toBe(503);
    expect(json(refused)).toMatchObject({ code: 'RATE_LIMITER_UNAVAILABLE' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await received()).toBe(before + 1);
    expect(closed.limiter.status()).toMatchObject({ state: 'degraded', policy: 'deny' });
    await server.start();
  });
});
