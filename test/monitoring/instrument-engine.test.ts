import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncEngine, type SyncEngine } from '../../src/engine.js';
import {
  createMetricsRegistry,
  instrumentEngine,
  instrumentPool,
  instrumentSagaRunner,
  libraryMetrics,
  METRIC,
  recordApiCall,
  type EngineInstrumentation,
} from '../../src/monitoring/index.js';
import type { Envelope } from '../../src/core/envelope.js';
import { defineSaga } from '../../src/sagas/define-saga.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { setStock, stockEngine } from '../realtime/engine-fixture.js';

describe.each(sqlEngines)('instrumentEngine on $name', (engineKind) => {
  let db: TestDatabase | undefined;
  let engine: SyncEngine | undefined;
  let monitoring: EngineInstrumentation | undefined;
  afterEach(async () => {
    monitoring?.stop();
    await engine?.close();
    await db?.close();
  });

  it.skipIf(!engineKind.available)(
    'records appends, processor batches and lag, realtime delivery, webhooks and sampled gauges',
    async () => {
      db = await engineKind.open();
      engine = stockEngine(db.sql, db.schema, null);
      const registry = createMetricsRegistry();
      monitoring = instrumentEngine(engine, { metrics: registry, sampleIntervalMs: 0 });
      await engine.start();

      const frames: Envelope[] = [];
      engine.hub.subscribe(
        { channel: 'rt_stock' },
        { userId: 'u1', tenantIds: ['c1'] },
        {
          write: (e) => (frames.push(e), true),
        },
      );
      await waitFor(() => frames.some((f) => f.type === 'reset' || f.type === 'ready'), { what: 'snapshot' });
      for (let i = 0; i < 3; i++) await setStock(engine, 'c1', `sku-${i}`, i + 1);
      await engine.whenCaughtUp();
      await waitFor(() => registry.histogramTotals(METRIC.realtimeDelivery).count > 0, {
        what: 'a delivered data frame',
      });

      expect(registry.histogramTotals(METRIC.appendDuration, { outcome: 'ok' }).count).toBe(3);
      expect(registry.histogramTotals(METRIC.appendBatchSize).sum).toBe(3);
      expect(registry.value(METRIC.appendedEvents)).toBe(3);
      expect(registry.value(METRIC.processorEvents, { processor: 'projection:rt_stock' })).toBe(3);
      expect(registry.histogramTotals(METRIC.processorBatchDuration).count).toBeGreaterThan(0);
      expect(registry.quantile(METRIC.realtimeDelivery, 0.5)).toBeGreaterThan(0);
      expect(registry.value(METRIC.realtimeFrames, { channel: 'rt_stock', type: 'data' })).toBeGreaterThan(0);

      const res = await monitoring.ingest({
        method: 'POST',
        path: '/api/webhooks/nowhere',
        headers: {},
        rawBody: Buffer.from('{}'),
        params: {},
      });
      expect(registry.value(METRIC.webhookRequests, { code: String(res.status) })).toBe(1);

      await monitoring.sample();
      expect(registry.value(METRIC.up)).toBe(1);
      const snapshot = registry.snapshot();
      const subs = snapshot.find((f) => f.name === METRIC.realtimeSubscriptions)?.series[0]?.value;
      expect(subs).toBe(1);

      monitoring.stop();
      await setStock(engine, 'c1', 'after-stop', 1);
      expect(registry.value(METRIC.appendedEvents)).toBe(3); // undone: the store is back to itself
    },
  );
});

describe('sagas, pools and external APIs', () => {
  it('times saga steps from the runner events and counts outcomes', async () => {
    const db = await sqlEngines[0]!.open();
    const saga = defineSaga<{ n: number }>({
      name: 'demo',
      steps: [
        { name: 'one', action: async () => ({ ok: 1 }), compensation: 'none' },
        { name: 'two', action: async () => ({ ok: 2 }), compensation: 'none' },
      ],
    });
    const engine = createSyncEngine({
      sql: db.sql,
      schema: db.schema,
      sagas: [{ definition: saga, startOn: () => null }],
    });
    const registry = createMetricsRegistry();
    const monitoring = instrumentEngine(engine, { metrics: registry, sampleIntervalMs: 0 });
    try {
      await engine.start();
      await engine.sagas.start(saga, { n: 1 });
      await waitFor(() => registry.value(METRIC.sagaOutcomes, { outcome: 'completed' }) === 1, {
        what: 'saga done',
      });
      expect(registry.value(METRIC.sagaOutcomes, { definition: 'demo', outcome: 'started' })).toBe(1);
      expect(
        registry.histogramTotals(METRIC.sagaStepDuration, { definition: 'demo', phase: 'action' }).count,
      ).toBe(2);
    } finally {
      monitoring.stop();
      await engine.close();
      await db.close();
    }
  });

  it('counts steps deferred by a database outage', () => {
    const registry = createMetricsRegistry();
    const runner = new EventEmitter();
    instrumentSagaRunner(Object.assign(runner, { activeCount: () => 0 }) as never, libraryMetrics(registry));
    const deferred = {
      sagaId: 's1',
      definition: 'demo',
      step: 'one',
      phase: 'action',
      attempts: 4,
      error: { name: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' },
      retryInMs: 2000,
    };
    runner.emit('saga:step_deferred', deferred);
    runner.emit('saga:step_deferred', deferred);
    expect(registry.value(METRIC.sagaStepsDeferred, { definition: 'demo', phase: 'action' })).toBe(2);
  });

  it('samples a pool and reads rate-limit headroom from response headers', () => {
    const registry = createMetricsRegistry();
    const m = libraryMetrics(registry);
    const pool = { totalCount: 8, idleCount: 3, waitingCount: 2, options: { max: 10 } };
    instrumentPool(pool, registry, m);
    recordApiCall(m, {
      api: 'tiktok',
      status: 200,
      durationMs: 120,
      headers: { 'x-ratelimit-remaining': '25', 'x-ratelimit-limit': '100' },
    });
    recordApiCall(m, { api: 'tiktok', status: 0, durationMs: 5 });
    registry.collect();
    expect(registry.value(METRIC.poolConnections, { state: 'in_use' })).toBe(5);
    expect(registry.value(METRIC.poolConnections, { state: 'waiting' })).toBe(2);
    expect(registry.value(METRIC.poolMax)).toBe(10);
    expect(registry.value(METRIC.apiRateLimitHeadroom, { api: 'tiktok' })).toBe(0.25);
    expect(registry.value(METRIC.apiRequests, { code: 'network' })).toBe(1);
  });
});
