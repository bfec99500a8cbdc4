/**
 * A host process whose Redis (a private server: the shared one is never
 * stopped) goes away and comes back: the process stays up, health reports
 * Redis down and the host degraded (still 200: webhooks do not need Redis),
 * no emitter is left without an `error` listener ("Unhandled error event"),
 * and health is back to ok when Redis is. Intake during the outage is the
 * rate limiter's to keep (issue 10, item 8).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnHost, type HostProcess } from '../../examples/shared/host-process.js';
import { startSimulator, type Simulator } from '../../examples/simulator/simulator.js';
import { dropPostgresSchema, postgresUrl, uniqueSchema } from '../support/databases.js';
import { fetchHealth } from './host-probes.js';
import { redisServerBinary, startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';

const databaseUrl = postgresUrl();

if (process.env.REQUIRE_SERVICES === '1' && redisServerBinary() === null) {
  throw new Error('REQUIRE_SERVICES=1 but redis-server is missing (set REDIS_SERVER)');
}

describe.skipIf(databaseUrl === null || redisServerBinary() === null)(
  'a host process across a Redis outage',
  () => {
    const schema = uniqueSchema('redis_outage');
    let redis: PrivateRedis;
    let sim: Simulator;
    let host: HostProcess;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      sim = await startSimulator({ url: 'http://localhost', autoStart: false, seed: 3 });
      host = await spawnHost({
        env: {
          DATABASE_URL: databaseUrl!,
          REDIS_URL: redis.url,
          // Faults, not overload, are under test here: a loaded CI must not see 503s (test/ingest/admission-host.test.ts covers shedding).
          ADMISSION: 'off',
          DB_SCHEMA: schema,
          PORT: '0',
          HOST_ID: 'redis-outage',
          TIKTOK_API_URL: sim.apiUrl,
          PROVIDERS_URL: sim.providersUrl,
        },
      });
    }, 180_000);

    afterAll(async () => {
      await host?.kill();
      await sim?.stop();
      await redis?.close();
      await dropPostgresSchema(schema);
    }, 60_000);

    const health = () => fetchHealth(host.url);

    it('reports Redis down and the host degraded, stays up, and recovers', async () => {
      await vi.waitFor(async () => expect((await health()).body.status).toBe('ok'), {
        timeout: 30_000,
        interval: 250,
      });
      await redis.stop();
      await vi.waitFor(
        async () => {
          const { code, body } = await health();
          expect(body.components.redis.status).toBe('down');
          expect(body.status).toBe('degraded');
          expect(code).toBe(200);
        },
        { timeout: 30_000, interval: 250 },
      );
      await redis.start();
      await vi.waitFor(async () => expect((await health()).body.status).toBe('ok'), {
        timeout: 60_000,
        interval: 250,
      });
      expect(host.child.exitCode).toBeNull();
      const log = host.stderr.join('\n');
      expect(log).not.toMatch(/unhandled/i);
      expect(log).toMatch(/\[redis-outage\] warn redis \(commands\)/);
      expect(await host.stop()).toBe(0);
    }, 180_000);
  },
);
