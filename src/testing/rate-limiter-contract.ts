/**
 * The rate limiter contract: what the webhook receivers rely on from a
 * `RateLimiter` (in memory, Redis, or a third party's).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimiter } from '../ingest/public-entry.js';
import { waitFor } from './wait-for.js';

/** Opens a limiter allowing `limit` requests per `windowMs` per key; `close` releases it. */
export type RateLimiterFactory = (settings: {
  limit: number;
  windowMs: number;
}) => Promise<{ limiter: RateLimiter; close(): Promise<void> }>;

/**
 * Register the rate limiter contract with vitest: the limit holds per key,
 * a refusal says when to retry, keys are independent, and a new window
 * allows again.
 *
 * @example
 * ```ts
 * import { rateLimiterContract } from '@creatorflow/sync/testing';
 * rateLimiterContract('memory', async (s) => ({ limiter: createMemoryRateLimiter(s), close: async () => {} }));
 * ```
 */
export function rateLimiterContract(
  name: string,
  factory: RateLimiterFactory,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`rate limiter contract: ${name}`, () => {
    const opened: { close(): Promise<void> }[] = [];
    const open = async (limit: number, windowMs: number) => {
      const handle = await factory({ limit, windowMs });
      opened.push(handle);
      return handle.limiter;
    };
    const key = () => `contract:${Math.random().toString(36).slice(2, 10)}`;
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((h) => h.close()));
    });

    it('allows exactly the limit within a window, then refuses with a retry time', async () => {
      const limiter = await open(5, 60_000);
      const k = key();
      const decisions = [];
      for (let i = 0; i < 7; i++) decisions.push(await limiter.consume(k));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
      const refused = decisions[5]!;
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    });

    it('counts concurrent requests exactly', async () => {
      const limiter = await open(10, 60_000);
      const k = key();
      const decisions = await Promise.all(Array.from({ length: 25 }, () => limiter.consume(k)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    });

    it('keeps keys apart', async () => {
      const limiter = await open(1, 60_000);
      const [k1, k2] = [key(), key()];
      expect((await limiter.consume(k1)).allowed).toBe(true);
      expect((await limiter.consume(k1)).allowed).toBe(false);
      expect((await limiter.consume(k2)).allowed).toBe(true);
    });

    it('allows again once the window has passed', async () => {
      const limiter = await open(1, 300);
      const k = key();
      expect((await limiter.consume(k)).allowed).toBe(true);
      expect((await limiter.consume(k)).allowed).toBe(false);
      await waitFor(async () => (await limiter.consume(k)).allowed, {
        what: 'a new window',
        timeoutMs: 10_000,
      });
    });
  });
}
