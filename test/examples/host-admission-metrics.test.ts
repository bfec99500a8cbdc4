/**
 * A host with admission control on counts its refusals in `/metrics`:
 * `creatorflow_webhook_refused_total{reason}` equals the 503 `OVERLOADED`
 * answers the senders got. Overload is made certain, not hoped for: at most
 * one webhook in flight, and bursts of concurrent webhooks until some are
 * refused. On PostgreSQL: PGlite answers within one turn of the event loop,
 * so two webhooks are never in flight at once there.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startExpressHost } from '../../examples/express-host/app.js';
import { DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import type { RunningHost } from '../../examples/shared/running-host.js';
import type { Notification } from '../../examples/simulator/fake-shop.js';
import { startSimulator, type Simulator } from '../../examples/simulator/simulator.js';
import { buildWebhook, type WebhookTarget } from '../../examples/simulator/webhook-sender.js';
import { dropPostgresSchema, postgresUrl, uniqueSchema } from '../support/databases.js';
import { unknownOrder } from './unknown-order.js';

const databaseUrl = postgresUrl();
const schema = uniqueSchema('admission_metrics');

describe.skipIf(databaseUrl === null)('a host with admission on', () => {
  let sim: Simulator;
  let running: RunningHost;
  let target: WebhookTarget;

  beforeAll(async () => {
    sim = await startSimulator({ url: 'http://localhost', autoStart: false, seed: 11 });
    running = await startExpressHost({
      databaseUrl: databaseUrl ?? undefined,
      schema,
      port: 0,
      hostname: '127.0.0.1',
      tiktokApiUrl: sim.apiUrl,
      openAccess: false,
      // Only concurrency decides: lag and loop-delay targets a loaded machine does not reach.
      admission: { maxInFlight: 1, targetLagMs: 120_000, targetEventLoopDelayMs: 10_000 },
    });
    target = { ...DEMO_CREDENTIALS, url: running.url };
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
    await running?.close();
    await dropPostgresSchema(schema);
  }, 60_000);

  it('exposes the refused webhooks, by reason, as the senders counted them', async () => {
    let next = 0;
    let overloaded = 0;
    const post = async (): Promise<void> => {
      const n: Notification = {
        kind: 'order_status',
        order: unknownOrder(String(910_000_000_000_000_000n + BigInt(next++))),
        status: 'UNPAID',
      };
      const { path, headers, body } = buildWebhook(target, n, Date.now());
      const res = await fetch(new URL(path, running.url), { method: 'POST', headers, body });
      const answer = (await res.json()) as { code?: string };
      if (res.status === 503 && answer.code === 'OVERLOADED') {
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        overloaded++;
      } else expect(res.status).toBe(200);
    };
    await vi.waitFor(
      async () => {
        await Promise.all(Array.from({ length: 16 }, post));
        expect(overloaded).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 50 },
    );
    const text = await (await fetch(new URL('/metrics', running.url))).text();
    expect(text).toContain('# TYPE creatorflow_webhook_refused_total counter');
    expect(text).toMatch(
      new RegExp(`creatorflow_webhook_refused_total\\{reason="concurrency"\\} ${overloaded}\\b`),
    );
  });
});
