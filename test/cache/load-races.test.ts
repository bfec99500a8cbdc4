/**
 * Reads that race a change on one host: a read that starts after the host
 * knows of an invalidation must not be answered by a load that started
 * before it, and a `delete` must not be undone by a load already running.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTieredCache, type TieredCache } from '../../src/cache/index.js';
import { commerceCacheRules } from '../../src/commerce/cache-rules.js';
import { storeEngines, visible, type TestStore } from '../processing/support.js';
import { waitFor } from '../support/wait.js';

/** A loader that reads "the database" when called and answers when released. */
function gatedLoader(read: () => number) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  return {
    loader: async () => {
      calls++;
      const v = read();
      await gate;
      return v;
    },
    release: () => release(),
    get calls() {
      return calls;
    },
  };
}

describe.each(storeEngines)('reads racing a change on $name', (engine) => {
  let t: TestStore;
  let cache: TieredCache;

  beforeEach(async () => {
    if (!engine.available) return;
    t = await engine.open();
    cache = createTieredCache({ store: t.store, rules: commerceCacheRules, pollIntervalMs: 50 });
    await cache.start();
  });
  afterEach(async () => {
    if (!engine.available) return;
    await cache.close();
    await t.close();
  });

  it('a read begun after an invalidation is read does not join a load begun before it', async () => {
    let version = 1;
    const slow = gatedLoader(() => version);
    const first = cache.get('dash', slow.loader, { tags: ['dashboard_stats:c1'] });
    await waitFor(() => slow.calls === 1, { what: 'the first load to start' });
    version = 2; // the change commits together with its event
    const { checkpoint } = await t.store.append('order-c1', [
      { type: 'order.validated', data: { creatorId: 'c1', orderId: 'o1' } },
    ]);
    await visible(t.store, checkpoint);
    await cache.whenCaughtUp(); // this host now knows dashboard_stats:c1 changed
    const second = cache.get('dash', () => version, { tags: ['dashboard_stats:c1'] });
    slow.release();
    expect(await first).toBe(1); // began before the change: may be old
    expect(await second).toBe(2); // began after the host read the change: must not be
    expect(await cache.get('dash', () => version, { tags: ['dashboard_stats:c1'] })).toBe(2);
  });

  it('a delete during a load is not undone when the load finishes', async () => {
    let version = 1;
    const slow = gatedLoader(() => version);
    const first = cache.get('row', slow.loader, { tier: 'hot' });
    await waitFor(() => slow.calls === 1, { what: 'the load to start' });
    version = 2;
    await cache.delete('row'); // the host wrote the row, then dropped the cached copy
    slow.release();
    expect(await first).toBe(1);
    expect(await cache.get('row', () => version, { tier: 'hot' })).toBe(2);
  });
});
