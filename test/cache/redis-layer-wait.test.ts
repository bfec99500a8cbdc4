/**
 * `RedisLayer.waitForCopy`: a host that found another's load lock waits for
 * that host's copy on the runtime's poll loop — the copy once it lands, null
 * once the lock is gone without one or the timeout passes, never a look
 * before the first pause.
 */
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../src/cache/cache-entry.js';
import { logPosition } from '../../src/cache/log-position.js';
import { RedisLayer, type CacheRedisLike } from '../../src/cache/redis-layer.js';
import { waitFor } from '../../src/testing/wait-for.js';

/** Enough of Redis for reads: GETs are counted; keys are set by the test. */
class FakeRedis implements CacheRedisLike {
  readonly keys = new Map<string, string>();
  gets = 0;
  async get(key: string): Promise<string | null> {
    this.gets++;
    return this.keys.get(key) ?? null;
  }
  async psetex(key: string, _ms: number, value: string): Promise<unknown> {
    this.keys.set(key, value);
    return 'OK';
  }
  async del(...keys: string[]): Promise<number> {
    return keys.filter((k) => this.keys.delete(k)).length;
  }
  async eval(): Promise<unknown> {
    return 0;
  }
}

const entry = (value: unknown): CacheEntry => ({
  value,
  negative: false,
  undef: false,
  tags: [],
  // A position as the cache writes it: anything else is read as a garbled entry, a miss.
  loadedAt: logPosition('0:0'),
  loadedAtMs: 0,
  expiresAt: Number.MAX_SAFE_INTEGER,
  staleUntil: Number.MAX_SAFE_INTEGER,
  size: 0,
});

function setup() {
  const redis = new FakeRedis();
  const layer = new RedisLayer({ redis, prefix: 't:', commandTimeoutMs: 1_000 });
  redis.keys.set('t:lock:k', 'holder');
  return { redis, layer };
}

describe('RedisLayer.waitForCopy', () => {
  it('returns the copy the lock holder stores, and nothing before it is accepted', async () => {
    const { redis, layer } = setup();
    const accepted: unknown[] = [];
    const waiting = layer.waitForCopy('k', (e) => (accepted.push(e.value), e.value === 'new'), 10_000);
    await layer.set('k', JSON.stringify(entry('old')), 60_000);
    await waitFor(() => accepted.length > 0, { what: 'a look at the old copy' });
    await layer.set('k', JSON.stringify(entry('new')), 60_000);
    expect((await waiting)?.value).toBe('new');
    expect(redis.gets).toBeGreaterThan(1);
  });

  it('returns null once the lock is gone without a copy it accepts', async () => {
    const { redis, layer } = setup();
    const waiting = layer.waitForCopy('k', () => true, 10_000);
    redis.keys.delete('t:lock:k');
    expect(await waiting).toBeNull();
  });

  it('returns null when the timeout passes first, having paused before the first look', async () => {
    const { redis, layer } = setup();
    const started = performance.now();
    expect(await layer.waitForCopy('k', () => true, 30)).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    // 2, 4, 8, 16 ms of pauses fit in 30 ms: a look (a GET of the key and one of the lock) after each.
    expect(redis.gets).toBeGreaterThanOrEqual(2);
    expect(redis.gets).toBeLessThanOrEqual(12);
    expect(await layer.waitForCopy('k', () => true, 0)).toBeNull();
  });

  it('passes on a failure of `accept`', async () => {
    const { layer } = setup();
    await layer.set('k', JSON.stringify(entry('x')), 60_000);
    const refused = layer.waitForCopy(
      'k',
      () => {
        throw new Error('accept failed');
      },
      10_000,
    );
    await expect(refused).rejects.toThrow('accept failed');
  });
});
