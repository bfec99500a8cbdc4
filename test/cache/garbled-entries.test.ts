/**
 * A value under a cache key in Redis that is not an entry this cache wrote
 * (garbled, written by another version or another application on the
 * prefix) is a miss: the loader answers and its copy replaces the value.
 * Before, a `loadedAt` that is not a log position made every read of the key
 * throw a raw `SyntaxError` until the value expired, and a short one (`'3:3'`
 * sorts after every real position) was served as current after its tag was
 * invalidated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTieredCache, type TieredCache } from '../../src/cache/index.js';
import { parseEntry } from '../../src/cache/cache-entry.js';
import { commerceCacheRules } from '../../src/commerce/cache-rules.js';
import { createEventStore } from '../../src/store/index.js';

/** The four commands the Redis layer uses, over a map. */
function mapRedis(map: Map<string, string>) {
  return {
    get: async (key: string) => map.get(key) ?? null,
    psetex: async (key: string, _ms: number, value: string) => void map.set(key, value),
    del: async (...keys: string[]) => keys.filter((k) => map.delete(k)).length,
    eval: async () => 1,
  };
}

const TAG = 'order_metrics:c1';
const KEY = 'creatorflow:cache:metrics-c1';
const HEAD = '00000000000000000003:0000000000000003';

describe('garbled entries in Redis', () => {
  let cache: TieredCache | undefined;
  afterEach(async () => {
    await cache?.close();
    cache = undefined;
  });

  async function open(map: Map<string, string>) {
    const store = createEventStore();
    for (let i = 0; i < 3; i++)
      await store.append(`order-${i}`, [
        { type: 'order.validated', data: { creatorId: 'c1', orderId: `o${i}` } },
      ]);
    cache = createTieredCache({ store, rules: commerceCacheRules, redis: mapRedis(map), pollIntervalMs: 50 });
    await cache.start();
    return { store, cache };
  }

  const garbled = (fields: Record<string, unknown>) => {
    const now = Date.now();
    return JSON.stringify({
      value: 'garbled',
      negative: false,
      undef: false,
      tags: [TAG],
      // The head of the log: a well-formed entry would be current.
      loadedAt: HEAD,
      loadedAtMs: now,
      expiresAt: now + 600_000,
      staleUntil: now + 600_000,
      ...fields,
    });
  };

  it('a well-formed entry loaded at the head is served (the control)', async () => {
    const map = new Map<string, string>();
    const { cache: c } = await open(map);
    map.set(KEY, garbled({}));
    expect(await c.get('metrics-c1', () => 'loaded', { tags: [TAG] })).toBe('garbled');
  });

  it.each([
    ['a loadedAt that is no log position', { loadedAt: '!' }],
    ['a loadedAt the log cannot be read from', { loadedAt: '0:x' }],
    ['a short loadedAt', { loadedAt: '3:3' }],
    ['a tag that is not a string', { tags: [TAG, 7] }],
    ['no negative flag', { negative: undefined }],
    ['a numeric user', { user: 5 }],
  ])('%s is a miss: the loader answers and its copy replaces it', async (_what, fields) => {
    const map = new Map<string, string>();
    const { cache: c } = await open(map);
    map.set(KEY, garbled(fields));
    expect(await c.get('metrics-c1', () => 'loaded', { tags: [TAG] })).toBe('loaded');
    expect(parseEntry(map.get(KEY)!)).toMatchObject({ value: 'loaded' });
    expect(await c.get('metrics-c1', () => 'again', { tags: [TAG] })).toBe('loaded');
  });

  it('null, an array or a number under the key is a miss', async () => {
    const map = new Map<string, string>();
    const { cache: c } = await open(map);
    for (const text of ['null', '[1]', '42', '"text"', '{']) {
      map.set(KEY, text);
      await c.delete('metrics-c1').catch(() => undefined);
      map.set(KEY, text);
      expect(await c.get('metrics-c1', () => text, { tags: [TAG] }), text).toBe(text);
      await c.delete('metrics-c1');
    }
  });
});
