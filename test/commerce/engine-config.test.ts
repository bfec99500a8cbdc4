/**
 * The engine knows no domain: without options it serves no channel and no
 * webhook; `commerceEngineConfig()` supplies the commerce channels and
 * receivers as data, and the receivers are built on the engine's store and
 * shared rate limiter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMERCE_CHANNELS } from '../../src/commerce/channels.js';
import { commerceEngineConfig } from '../../src/commerce/engine-config.js';
import { COMMERCE_EVENT_SCHEMAS } from '../../src/commerce/events/index.js';
import { createSyncEngine, type SyncEngine } from '../../src/engine.js';
import { createMemoryRateLimiter } from '../../src/ingest/rate-limiter.js';
import { pgliteEngine, type TestDatabase } from '../support/databases.js';
import { APP_KEY, APP_SECRET, NOW_MS, SHIPPO_API_KEY, SHIPPO_SECRET, CREATOR } from '../ingest/support.js';
import { tiktokEnvelope, tiktokRequest } from '../ingest/support.js';

describe('createSyncEngine with and without the commerce parts', () => {
  let db: TestDatabase;
  let engine: SyncEngine | undefined;
  beforeEach(async () => {
    db = await pgliteEngine.open();
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await db.close();
  });

  it('serves no channel and no webhook unless given some', async () => {
    engine = createSyncEngine({ sql: db.sql, schema: db.schema });
    await engine.start();
    expect([...engine.hub.channels.keys()]).toEqual([]);
    const res = await engine.ingest(tiktokRequest(tiktokEnvelope()));
    expect(res.status).toBe(404);
    expect(await engine.store.readAll({ limit: 10 })).toMatchObject({ events: [] });
  });

  it('serves the commerce channels and receivers from commerceEngineConfig, on its store and limiter', async () => {
    engine = createSyncEngine({
      sql: db.sql,
      schema: db.schema,
      store: { eventTypes: COMMERCE_EVENT_SCHEMAS },
      rateLimiter: createMemoryRateLimiter({ limit: 1, windowMs: 60_000 }),
      ...commerceEngineConfig({
        tiktok: { appKey: APP_KEY, appSecret: APP_SECRET, now: () => NOW_MS },
        shipping: {
          providers: { shippo: { apiKey: SHIPPO_API_KEY, secrets: SHIPPO_SECRET, creators: [CREATOR] } },
        },
      }),
    });
    await engine.start();
    expect([...engine.hub.channels.keys()]).toEqual(COMMERCE_CHANNELS.map((c) => c.name));

    const accepted = await engine.ingest(tiktokRequest(tiktokEnvelope()));
    expect(accepted.status).toBe(200);
    const { events } = await engine.store.readAll({ limit: 10 });
    expect(events.map((e) => e.type)).toContain('tiktok.webhook_received');
    // The engine's limiter (one request a minute) is the receiver's.
    const limited = await engine.ingest(tiktokRequest(tiktokEnvelope()));
    expect(limited.status).toBe(429);
  });

  it('passes only the receivers asked for', () => {
    expect(commerceEngineConfig().receivers).toEqual([]);
    expect(
      commerceEngineConfig({ tiktok: { appKey: APP_KEY, appSecret: APP_SECRET } }).receivers,
    ).toHaveLength(1);
  });
});
