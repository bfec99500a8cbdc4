/**
 * Grading of the hosts' `/healthz`: the database down is `down` (503),
 * anything else wrong is `degraded` (still serving), and the body carries
 * typed statuses only.
 */
import { describe, expect, it } from 'vitest';
import {
  gradeHealth,
  healthHttpStatus,
  withDeadline,
  type HealthReadings,
} from '../../examples/shared/host-health.js';
import type { SyncEngineHealth } from '../../src/engine.js';

const engineHealth = (status: 'ok' | 'degraded' = 'ok'): SyncEngineHealth => ({
  status,
  readModels: { 'commerce:read_models': { lagEvents: 3, lagMs: 40 } },
  heldBackEvents: 0,
  deadLetters: {},
  sagas: { active: 0, deadLetters: 0 },
  realtime: {
    subscriptions: 1,
    queuedMessages: 0,
    bufferedBatches: 0,
    limiterDegraded: false,
    pubsubDown: false,
    malformedMessages: 0,
  },
});

const readings = (over: Partial<HealthReadings> = {}): HealthReadings => ({
  hostId: 'a',
  engine: 'postgres',
  databaseUp: true,
  redisUp: true,
  engineHealth: engineHealth(),
  sagas: { active: 1, completed: 2, failed: 0 },
  leader: false,
  ...over,
});

describe('gradeHealth', () => {
  it('is ok when every component is', () => {
    const h = gradeHealth(readings());
    expect(h.status).toBe('ok');
    expect(h.components.readModels).toEqual({ status: 'ok', lagEvents: 3, lagMs: 40 });
    expect(healthHttpStatus(h)).toBe(200);
  });

  it('is down (503) without the database', () => {
    const h = gradeHealth(readings({ databaseUp: false, engineHealth: undefined }));
    expect(h.status).toBe('down');
    expect(h.components.database.status).toBe('down');
    expect(h.components.readModels).toEqual({ status: 'unknown', lagEvents: null, lagMs: null });
    expect(healthHttpStatus(h)).toBe(503);
  });

  it('is degraded, still 200, when Redis is down or the read models lag', () => {
    expect(gradeHealth(readings({ redisUp: false })).status).toBe('degraded');
    expect(gradeHealth(readings({ engineHealth: engineHealth('degraded') })).status).toBe('degraded');
    expect(healthHttpStatus(gradeHealth(readings({ redisUp: false })))).toBe(200);
  });

  it('reports Redis down while a limiter runs on per-process limits, the read models by their lag', () => {
    const fellBack = engineHealth('degraded');
    fellBack.rateLimiter = { backend: 'redis', state: 'degraded', policy: 'local', since: 0 };
    const h = gradeHealth(readings({ engineHealth: fellBack }));
    expect(h.components.redis.status).toBe('down');
    expect(h.components.readModels.status).toBe('ok');
    expect(h.status).toBe('degraded');
    const lagging = engineHealth('degraded');
    lagging.readModels['commerce:read_models'] = { lagEvents: 900, lagMs: 45_000 };
    expect(gradeHealth(readings({ engineHealth: lagging })).components.readModels.status).toBe('degraded');
  });

  it('is degraded while dead letters wait, and says how many', () => {
    const h = gradeHealth(readings());
    expect(h.components.deadLetters).toEqual({ status: 'ok', events: 0, compensations: 0 });
    const failing = engineHealth('degraded');
    failing.deadLetters = { 'projection:orders': 2, 'order-fulfillment:trigger': 1 };
    failing.sagas.deadLetters = 1;
    const graded = gradeHealth(readings({ engineHealth: failing }));
    expect(graded.components.deadLetters).toEqual({ status: 'degraded', events: 3, compensations: 1 });
    expect(graded.status).toBe('degraded');
    expect(healthHttpStatus(graded)).toBe(200);
    // Graded on its own too: an engine answer that says ok with letters waiting is still degraded.
    const onlyLetters = engineHealth('ok');
    onlyLetters.sagas.deadLetters = 2;
    expect(gradeHealth(readings({ engineHealth: onlyLetters })).status).toBe('degraded');
    expect(gradeHealth(readings({ engineHealth: undefined })).components.deadLetters.status).toBe('unknown');
  });

  it('says degraded while intake sheds load, ok when it is open, disabled without admission', () => {
    const refused = { pipeline_lag: 40, event_loop_delay: 0, concurrency: 0 };
    const admission = (state: 'open' | 'shedding') => ({
      ...engineHealth(),
      admission: { state, ratePerS: 48.5, lagMs: 1800, eventLoopDelayMs: 3, inFlight: 2, refused },
    });
    const shedding = gradeHealth(readings({ engineHealth: admission('shedding') }));
    expect(shedding.components.intake).toEqual({ status: 'degraded', ratePerS: 48.5, refused });
    expect(shedding.status).toBe('degraded');
    expect(healthHttpStatus(shedding)).toBe(200);
    const open = gradeHealth(readings({ engineHealth: admission('open') }));
    expect(open.components.intake.status).toBe('ok');
    expect(open.status).toBe('ok');
    expect(gradeHealth(readings()).components.intake).toEqual({
      status: 'disabled',
      ratePerS: null,
      refused: null,
    });
    expect(gradeHealth(readings({ engineHealth: undefined })).components.intake.status).toBe('unknown');
  });

  it('counts a host without Redis as ok', () => {
    const h = gradeHealth(readings({ redisUp: undefined }));
    expect(h.components.redis.status).toBe('disabled');
    expect(h.status).toBe('ok');
  });
});

describe('withDeadline', () => {
  it('gives up on a probe that hangs or fails, without an unhandled rejection', async () => {
    expect(await withDeadline(new Promise(() => undefined), 20)).toBeUndefined();
    expect(await withDeadline(Promise.reject(new Error('boom')), 1000)).toBeUndefined();
    expect(await withDeadline(Promise.resolve(7), 1000)).toBe(7);
  });
});
