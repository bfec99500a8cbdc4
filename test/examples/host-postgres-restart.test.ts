/**
 * A host process on a PostgreSQL server that restarts or stops under it
 * (a private server: the shared one on 5432 is never touched). A restart
 * sends every session 57P01; before the hosts listened for pool errors that
 * killed the process. Now the process stays up, health says `down` while
 * the server is, webhooks are answered (refused, never hung) and intake
 * is back as soon as the server is, and SIGTERM still exits 0.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import { spawnHost, type HostProcess } from '../../examples/shared/host-process.js';
import { startSimulator, type Simulator } from '../../examples/simulator/simulator.js';
import { buildWebhook } from '../../examples/simulator/webhook-sender.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { fetchHealth } from './host-probes.js';
import { unknownOrder } from './unknown-order.js';

if (process.env.REQUIRE_SERVICES === '1' && postgresBinDir() === null) {
  throw new Error('REQUIRE_SERVICES=1 but the PostgreSQL server binaries are missing (set PG_BIN)');
}

describe.skipIf(postgresBinDir() === null)('a host process across a PostgreSQL restart', () => {
  let server: PrivatePostgres;
  let sim: Simulator;
  let host: HostProcess;
  let sent = 0;

  beforeAll(async () => {
    server = await startPrivatePostgres();
    sim = await startSimulator({ url: 'http://localhost', autoStart: false, seed: 11 });
    host = await spawnHost({
      env: {
        DATABASE_URL: server.url,
        PORT: '0',
        HOST_ID: 'pg-restart',
        // Faults, not overload, are under test here: a loaded CI must not see 503s (test/ingest/admission-host.test.ts covers shedding).
        ADMISSION: 'off',
        DB_SCHEMA: 'restart',
        TIKTOK_API_URL: sim.apiUrl,
        PROVIDERS_URL: sim.providersUrl,
        REDIS_URL: '',
      },
    });
  }, 180_000);

  afterAll(async () => {
    await host?.kill();
    await sim?.stop();
    await server?.close();
  }, 60_000);

  /** A new order's UNPAID notification (no saga): one append per call. */
  const post = async (): Promise<number> => {
    const order = unknownOrder(`91${String(sent++).padStart(16, '0')}`);
    const w = buildWebhook(
      { ...DEMO_CREDENTIALS, url: host.url },
      { kind: 'order_status', order, status: 'UNPAID' },
      Date.now(),
    );
    const res = await fetch(new URL(w.path, host.url), {
      method: 'POST',
      headers: w.headers,
      body: w.body,
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const health = async () => (await fetchHealth(host.url)).body;
  const alive = () => host.child.exitCode === null && host.child.signalCode === null;
  /** Intake, then health, back within generous bounds; the process never went away. */
  const recovered = async () => {
    await vi.waitFor(async () => expect(await post()).toBe(200), { timeout: 60_000, interval: 250 });
    await vi.waitFor(async () => expect((await health()).status).toBe('ok'), {
      timeout: 60_000,
      interval: 250,
    });
    expect(alive()).toBe(true);
  };

  it('survives a restart: intake and health come back, nothing unhandled', async () => {
    // Without HOST the process binds this machine only.
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await post()).toBe(200);
    await server.restart('fast');
    await recovered();
  }, 120_000);

  it('says down while the server is stopped, answers webhooks, and recovers when it is back', async () => {
    await server.stop('fast');
    await vi.waitFor(
      async () => {
        const h = await health();
        expect(h.status).toBe('down');
        expect(h.components.database).toEqual({ status: 'down', engine: 'postgres' });
      },
      { timeout: 30_000, interval: 250 },
    );
    // Refused (to be redelivered), not hung and not accepted.
    expect(await post()).toBeGreaterThanOrEqual(500);
    expect(alive()).toBe(true);
    await server.start();
    await recovered();
  }, 120_000);

  it('logged no unhandled error and exits 0 on SIGTERM', async () => {
    const log = host.stderr.join('\n');
    expect(log).not.toMatch(/unhandled/i);
    expect(log).toMatch(/\[pg-restart\] warn database: connection lost/);
    expect(await host.stop()).toBe(0);
  }, 60_000);
});
