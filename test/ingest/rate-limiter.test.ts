import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../../src/adapters/redis.js';
import {
  createMemoryRateLimiter,
  rateLimitSettings,
  slidingWindowStep,
} from '../../src/ingest/rate-limiter.js';
import { createTikTokWebhookHandler } from '../../src/commerce/ingest/tiktok/webhook-handler.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { redisUrl } from '../support/databases.js';
import {
  APP_KEY,
  APP_SECRET,
  NOW_MS,
  allEvents,
  json,
  memoryStore,
  tiktokEnvelope,
  tiktokRequest,
} from './support.js';

describe('sliding-window rate limit (pure step)', () => {
  const arrivals = fc
    .array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 })
    .map((gaps) => gaps.reduce<number[]>((acc, g) => [...acc, (acc.at(-1) ?? 0) + g], []));

  it('never allows more than `limit` requests in any window, and denies only when the window is full', () => {
    fc.assert(
      fc.property(
        arrivals,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 2000 }),
        (times, limit, windowMs) => {
          const settings = rateLimitSettings({ limit, windowMs });
          const log: number[] = [];
          const allowed: number[] = [];
          for (const t of times) {
            const inWindowBefore = allowed.filter((a) => a > t - windowMs).length;
            const decision = slidingWindowStep(log, t, settings);
            if (decision.allowed) {
              allowed.push(t);
              expect(decision.remaining).toBe(limit - inWindowBefore - 1);
            } else {
              // Denied only when the window really is full …
              expect(inWindowBefore).toBe(limit);
              // … and the oldest request in it leaves exactly when Retry-After says.
              const oldest = allowed.filter((a) => a > t - windowMs)[0]!;
              expect(decision.retryAfterMs).toBe(Math.max(1, oldest + windowMs - t));
            }
            // Safety: every window ending at an allowed request holds at most `limit`.
            expect(allowed.filter((a) => a > t - windowMs && a <= t).length).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });

  it('keeps keys apart and allows again after Retry-After', async () => {
    let now = 1_000;
    const limiter = createMemoryRateLimiter({ limit: 2, windowMs: 1000, now: () => now });
    const a = [await limiter.consume('a'), await limiter.consume('a'), await limiter.consume('a')];
    expect(a.map((d) => d.allowed)).toEqual([true, true, false]);
    expect((await limiter.consume('b')).allowed).toBe(true);
    now += a[2]!.retryAfterMs;
    expect((await limiter.consume('a')).allowed).toBe(true);
  });

  it('defaults to 1,000 requests per minute', () => {
    expect(rateLimitSettings()).toEqual({ limit: 1000, windowMs: 60_000 });
    expect(() => rateLimitSettings({ limit: 0 })).toThrow(InvalidArgumentError);
    expect(() => rateLimitSettings({ windowMs: 1.5 })).toThrow(InvalidArgumentError);
  });
});

describe.skipIf(!redisUrl())('Redis rate limiter (real Redis)', () => {
  let clients: Redis[];
  const prefix = `test:rl:${randomBytes(4).toString('hex')}:`;
  beforeAll(async () => {
    // Two connections stand in for two host processes.
    clients = [new Redis(redisUrl()!), new Redis(redisUrl()!)];
    // Connected first, and patient: these cases test Redis's limit, not the fallback.
    await Promise.all(clients.map((c) => c.ping()));
  });
  const patience = { commandTimeoutMs: 30_000 };
  afterAll(async () => {
    const keys = await clients[0]!.keys(`${prefix}*`);
    if (keys.length > 0) await clients[0]!.del(...keys);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('holds the limit across processes under concurrency', async () => {
    const limiters = clients.map((redis) =>
      createRedisRateLimiter({ redis, prefix, limit: 25, windowMs: 60_000, ...patience }),
    );
    const decisions = await Promise.all(
      Array.from({ length: 80 }, (_, i) => limiters[i % 2]!.consume('shop-1')),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    const denied = decisions.filter((d) => !d.allowed);
    expect(denied.every((d) => d.retryAfterMs > 0 && d.retryAfterMs <= 60_000)).toBe(true);
    expect(
      decisions
        .filter((d) => d.allowed)
        .map((d) => d.remaining)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // Another key is untouched.
    expect((await limiters[0]!.consume('shop-2')).allowed).toBe(true);
    // The set expires with its window.
    const ttl = await clients[0]!.pttl(`${prefix}shop-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('allows again once the window has passed', async () => {
    const limiter = createRedisRateLimiter({
      redis: clients[0]!,
      prefix,
      limit: 2,
      windowMs: 150,
      ...patience,
    });
    const first = [await limiter.consume('k'), await limiter.consume('k'), await limiter.consume('k')];
    expect(first.map((d) => d.allowed)).toEqual([true, true, false]);
    await new Promise((r) => setTimeout(r, first[2]!.retryAfterMs + 20));
    expect((await limiter.consume('k')).allowed).toBe(true);
  });

  it('falls back to EVAL when the server does not have the script cached', async () => {
    // Flushing the shared server's script cache would disturb other suites, so the
    // NOSCRIPT reply is simulated once in front of the real client.
    const real = clients[1]!;
    let evalCalls = 0;
    const redis = {
      evalsha: () => Promise.reject(new Error('NOSCRIPT No matching script. Please use EVAL.')),
      eval: (script: string, numKeys: number, ...args: (string | number)[]) => {
        evalCalls++;
        return real.eval(script, numKeys, ...args);
      },
    };
    const limiter = createRedisRateLimiter({ redis, prefix, limit: 1, windowMs: 60_000, ...patience });
    expect((await limiter.consume('noscript')).allowed).toBe(true);
    expect((await limiter.consume('noscript')).allowed).toBe(false);
    expect(evalCalls).toBe(2);
  });

  it('makes two receivers (two hosts) share one per-shop limit, answering 429 with Retry-After', async () => {
    const store = await memoryStore();
    const shop = `shop-${randomBytes(4).toString('hex')}`;
    const receivers = clients.map((redis) =>
      createTikTokWebhookHandler({
        store,
        appKey: APP_KEY,
        appSecret: APP_SECRET,
        now: () => NOW_MS,
        rateLimiter: createRedisRateLimiter({ redis, prefix, limit: 3, windowMs: 60_000, ...patience }),
      }),
    );
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        receivers[i % 2]!(tiktokRequest(tiktokEnvelope({ shop_id: shop }))),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(3);
    const limited = responses.filter((r) => r.status === 429);
    expect(limited).toHaveLength(5);
    expect(
      limited.every((r) => json(r).code === 'RATE_LIMITED' && Number(r.headers['retry-after']) >= 1),
    ).toBe(true);
    expect((await allEvents(store)).filter((e) => e.type === 'tiktok.webhook_received')).toHaveLength(3);
    await store.close();
  });
});
