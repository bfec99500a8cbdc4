import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { createTieredCache, type TieredCache } from '../../src/cache/index.js';
import { CacheNotStartedError } from '../../src/cache/errors.js';
import { commerceCacheRules } from '../../src/commerce/cache-rules.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { RowChange } from '../../src/core/row-change.js';
import { storeEngines, visible, type TestStore } from '../processing/support.js';
import { waitFor } from '../support/wait.js';

describe.each(storeEngines)('tiered cache on $name', (engine) => {
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

  async function orderEvent(creatorId: string) {
    const { checkpoint } = await t.store.append(`order-${creatorId}-${Math.random()}`, [
      { type: 'order.validated', data: { creatorId, orderId: 'o1' } },
    ]);
    await visible(t.store, checkpoint);
  }

  it('N concurrent misses of a key call the loader once', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = async () => {
      calls++;
      await gate;
      return { n: 42 };
    };
    const reads = Array.from({ length: 50 }, () => cache.get('k', loader, { tier: 'hot' }));
    await waitFor(() => calls > 0, { what: 'the loader to start' });
    release();
    const values = await Promise.all(reads);
    expect(calls).toBe(1);
    expect(values.every((v) => v.n === 42)).toBe(true);
    expect(await cache.get('k', loader, { tier: 'hot' })).toEqual({ n: 42 });
    expect(calls).toBe(1);
    const m = cache.metrics().tiers.hot;
    expect(m.misses).toBe(1);
    expect(m.memoryHits).toBe(1);
  });

  it('caches "nothing found" for the negative ttl', async () => {
    let calls = 0;
    const loader = () => {
      calls++;
      return null;
    };
    expect(await cache.get('missing', loader)).toBeNull();
    expect(await cache.get('missing', loader)).toBeNull();
    expect(calls).toBe(1);
    expect(cache.metrics().tiers.warm.negativeHits).toBe(1);
    const undef = await cache.lookup('undef', () => undefined);
    expect(undef.value).toBeUndefined();
    expect((await cache.lookup('undef', () => 1)).value).toBeUndefined();
  });

  it('an event in the log invalidates the tags its rule names, and their cascades', async () => {
    let version = 1;
    const read = (key: string, tags: string[]) => cache.get(key, () => version, { tags });
    await read('metrics-c1', ['order_metrics:c1']);
    await read('dashboard-c1', ['dashboard_stats:c1']);
    await read('metrics-c2', ['order_metrics:c2']);
    await read('stock-c1', ['stock_levels:c1']);
    version = 2;
    await orderEvent('c1');
    await cache.whenCaughtUp();
    expect(await read('metrics-c1', ['order_metrics:c1'])).toBe(2); // cascade orders → order_metrics
    expect(await read('dashboard-c1', ['dashboard_stats:c1'])).toBe(2); // cascade orders → dashboard_stats
    expect(await read('metrics-c2', ['order_metrics:c2'])).toBe(1); // another creator
    expect(await read('stock-c1', ['stock_levels:c1'])).toBe(1); // not an order tag
    await t.store.append('inv-1', [{ type: 'inventory.stock_updated', data: { creatorId: 'c1' } }]);
    await waitFor(async () => (await read('stock-c1', ['stock_levels:c1'])) === 2, {
      what: 'the inventory event to reach stock_levels',
    });
    expect(cache.metrics().invalidation.eventsRead).toBeGreaterThanOrEqual(2);
  });

  it('a broad invalidation (no creator in the event) covers every creator', async () => {
    let version = 1;
    const read = () => cache.get('health-c9', () => version, { tags: ['health_dashboards:c9'] });
    await read();
    version = 2;
    const { checkpoint } = await t.store.append('sys', [
      { type: 'system.recovery_completed', data: { component: 'api' } },
    ]);
    await visible(t.store, checkpoint);
    await waitFor(async () => (await read()) === 2, { what: 'system_health → health_dashboards' });
  });

  it('a load that overlaps an invalidation is not served afterwards', async () => {
    let version = 1;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const slow = cache.get(
      'racy',
      async () => {
        started = true;
        const v = version; // read "the database" before the change commits
        await gate;
        return v;
      },
      { tags: ['orders:c1'] },
    );
    await waitFor(() => started, { what: 'the slow load to start' });
    version = 2;
    await orderEvent('c1');
    await cache.whenCaughtUp();
    release();
    expect(await slow).toBe(1); // that caller asked before the change
    expect(await cache.get('racy', () => version, { tags: ['orders:c1'] })).toBe(2);
  });

  it('explicit delete and invalidateTags', async () => {
    let version = 1;
    await cache.get('a', () => version, { tags: ['orders:c3'] });
    await cache.get('b', () => version);
    version = 2;
    await cache.invalidateTags(['orders:c3']);
    await cache.delete('b');
    expect(await cache.get('a', () => version, { tags: ['orders:c3'] })).toBe(2);
    expect(await cache.get('b', () => version)).toBe(2);
  });

  it('a row change maps to tags through the row rules', async () => {
    let version = 1;
    await cache.get('om', () => version, { tags: ['dashboard_stats:c4'] });
    version = 2;
    await cache.applyRowChange({
      table: 'daily_revenue_metrics',
      key: { creator_id: 'c4', day: '2026-01-01' },
      operation: 'UPDATE',
      newRow: { creator_id: 'c4', day: '2026-01-01', revenue: 3 },
      oldRow: null,
      position: 1,
      checkpoint: '1:1',
    });
    expect(await cache.get('om', () => version, { tags: ['dashboard_stats:c4'] })).toBe(2);
  });

  it('tables whose changes were lost invalidate every tag their rows map to', async () => {
    let version = 1;
    await cache.get('s4', () => version, { tags: ['dashboard_stats:c4'] });
    await cache.get('s5', () => version, { tags: ['dashboard_stats:c5'] });
    await cache.get('other', () => version, { tags: ['orders:c4'] });
    version = 2;
    const lost = new Subject<readonly string[]>();
    const sub = cache.followRowChanges(new Subject<RowChange>(), lost);
    try {
      lost.next(['daily_revenue_metrics']);
      await waitFor(
        async () => (await cache.get('s4', () => version, { tags: ['dashboard_stats:c4'] })) === 2,
        {
          what: 'the lost table’s tags invalidated',
        },
      );
      expect(await cache.get('s5', () => version, { tags: ['dashboard_stats:c5'] })).toBe(2);
      // A tag no rule of that table maps to stays.
      expect(await cache.get('other', () => version, { tags: ['orders:c4'] })).toBe(1);
    } finally {
      sub.unsubscribe();
    }
  });

  it('grace: a failing loader gets the stale copy only when the caller allows it', async () => {
    let now = 1_000_000;
    const clocked = createTieredCache({
      store: t.store,
      now: () => now,
      tiers: { hot: { ttlMs: 1000, graceMs: 10_000 } },
    });
    await clocked.start();
    try {
      await clocked.get('g', () => 'old', { tier: 'hot' });
      now += 2000; // expired
      const failing = () => Promise.reject(new Error('database down'));
      await expect(clocked.get('g', failing, { tier: 'hot' })).rejects.toThrow('database down');
      const served = await clocked.lookup('g', failing, { tier: 'hot', grace: true });
      expect(served).toEqual({ value: 'old', source: 'memory', stale: true });
      await expect(clocked.get('g', failing, { tier: 'hot', grace: 1000 })).rejects.toThrow('database down');
      expect(clocked.metrics().tiers.hot.staleServed).toBe(1);
      now += 20_000; // past grace
      await expect(clocked.get('g', failing, { tier: 'hot', grace: true })).rejects.toThrow('database down');
    } finally {
      await clocked.close();
    }
  });

  it('warms declared keys on start', async () => {
    let calls = 0;
    const warmed = createTieredCache({
      store: t.store,
      warm: [{ key: 'w', loader: () => ++calls, options: { tier: 'hot' } }],
    });
    await warmed.start();
    try {
      expect(calls).toBe(1);
      expect(await warmed.lookup('w', () => ++calls, { tier: 'hot' })).toMatchObject({
        value: 1,
        source: 'memory',
      });
    } finally {
      await warmed.close();
    }
  });

  it('bad input is a typed error and changes nothing', async () => {
    await expect(cache.get('', () => 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    // @ts-expect-error an unknown tier
    await expect(cache.get('k', () => 1, { tier: 'lukewarm' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(cache.get('k', () => 1, { ttlMs: -5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => createTieredCache({ store: t.store, tiers: { hot: { ttlMs: 0 } } })).toThrow(
      InvalidArgumentError,
    );
    expect(() => createTieredCache({ store: t.store, pollIntervalMs: -1 })).toThrow(/pollIntervalMs/);
    const idle = createTieredCache({ store: t.store });
    await expect(idle.get('k', () => 1)).rejects.toBeInstanceOf(CacheNotStartedError);
    expect(cache.metrics().tiers.warm.misses).toBe(0);
  });

  it('health is ok with no Redis, and reports the log position', async () => {
    await orderEvent('c5');
    await cache.whenCaughtUp();
    const health = cache.health();
    expect(health).toMatchObject({ status: 'ok', redis: 'none', reasons: [] });
    expect(health.log.checkpoint).not.toBe('0:0');
  });
});
