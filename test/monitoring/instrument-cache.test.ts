/**
 * A tiered cache's figures exported as metrics: lookups by tier and result,
 * hit ratio and invalidation lag, sampled when the metrics are read and never
 * counted twice.
 */
import * as promClient from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTieredCache, type TieredCache } from '../../src/cache/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import {
  createMetricsRegistry,
  fromPromClient,
  instrumentCache,
  libraryMetrics,
  METRIC,
  teeMetrics,
} from '../../src/monitoring/index.js';

describe('instrumentCache', () => {
  let store: EventStore;
  let cache: TieredCache;
  beforeEach(async () => {
    store = createEventStore();
    cache = createTieredCache({ store, rules: { events: [], rows: [], cascades: [] }, pollIntervalMs: 50 });
    await cache.start();
  });
  afterEach(async () => {
    await cache.close();
    await store.close();
  });

  it('exports lookups by tier and result, once each, and the hit ratio', async () => {
    const registry = createMetricsRegistry();
    const stop = instrumentCache(cache, 'dash', registry, libraryMetrics(registry));
    const load = () => ({ n: 1 });
    await cache.get('a', load, { tier: 'hot' }); // miss
    await cache.get('a', load, { tier: 'hot' }); // memory hit
    await cache.get('a', load, { tier: 'hot' }); // memory hit
    registry.snapshot();
    registry.snapshot(); // a second read adds nothing
    const requests = (result: string) =>
      registry.value(METRIC.cacheRequests, { cache: 'dash', tier: 'hot', result });
    expect(requests('miss')).toBe(1);
    expect(requests('hit_memory')).toBe(2);
    expect(registry.value(METRIC.cacheHitRatio, { cache: 'dash', tier: 'hot' })).toBeCloseTo(2 / 3);

    await cache.get('b', load, { tier: 'hot' });
    registry.snapshot();
    expect(requests('miss')).toBe(2);
    stop();
    await cache.get('c', load, { tier: 'hot' });
    registry.snapshot();
    expect(requests('miss')).toBe(2); // stopped: no longer sampled
  });

  it('reaches the Prometheus text format through prom-client', async () => {
    promClient.register.clear();
    const prom = fromPromClient(promClient);
    const registry = createMetricsRegistry();
    const metrics = teeMetrics(registry, prom);
    instrumentCache(cache, 'dash', metrics, libraryMetrics(metrics));
    await cache.get('a', () => 1, { tier: 'warm' });
    registry.snapshot();
    const text = await prom.scrape();
    expect(text).toContain('creatorflow_cache_requests_total{cache="dash",tier="warm",result="miss"} 1');
  });
});
