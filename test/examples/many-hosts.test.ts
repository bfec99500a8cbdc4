/**
 * Two host processes (Express and Fastify) on one PostgreSQL and Redis, as
 * an operator runs them: the singleton jobs run on exactly one and move to
 * the other when it is killed; a webhook taken by one host reaches a
 * dashboard client of the other; traffic spread over both fulfils every
 * paid order with each payment and label made once per order at the shared
 * fake providers; a browser's anonymous identity is its own on every host.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectRealtime, type RealtimeClient } from '../../src/client/index.js';
import { DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import { spawnHost, type HostProcess } from '../../examples/shared/host-process.js';
import type { LedgerEntry } from '../../examples/simulator/fake-providers/ledger.js';
import { startSimulator, type Simulator } from '../../examples/simulator/simulator.js';
import { buildWebhook, postWebhook } from '../../examples/simulator/webhook-sender.js';
import { dropPostgresSchema, postgresUrl, redisUrl, uniqueSchema } from '../support/databases.js';
import { fetchHealth } from './host-probes.js';
import { unknownOrder } from './unknown-order.js';

const databaseUrl = postgresUrl();
const redis = redisUrl();

describe.skipIf(databaseUrl === null || redis === null)('two host processes on PostgreSQL and Redis', () => {
  const schema = uniqueSchema('hosts');
  let sim: Simulator;
  let a: HostProcess;
  let b: HostProcess;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    sim = await startSimulator({
      url: 'http://localhost',
      autoStart: false,
      seed: 5,
      cancelRate: 0,
      rate: 2,
    });
    const env = (id: string) => ({
      DATABASE_URL: databaseUrl!,
      REDIS_URL: redis!,
      // Faults, not overload, are under test here: a loaded CI must not see 503s (test/ingest/admission-host.test.ts covers shedding).
      ADMISSION: 'off',
      DB_SCHEMA: schema,
      PORT: '0',
      HOST_ID: id,
      TIKTOK_API_URL: sim.apiUrl,
      PROVIDERS_URL: sim.providersUrl,
    });
    // One after the other: the first migrates the schema alone.
    a = await spawnHost({ framework: 'express', env: env('host-a') });
    b = await spawnHost({ framework: 'fastify', env: env('host-b') });
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([a?.kill(), b?.kill()]);
    await sim?.stop();
    await dropPostgresSchema(schema);
  }, 60_000);

  const health = async (host: HostProcess) => (await fetchHealth(host.url)).body;
  const ordersOn = (host: HostProcess): RealtimeClient => {
    const client = connectRealtime({
      url: `${host.url}/realtime/sse`,
      channel: 'commerce_orders',
      headers: { authorization: 'Bearer demo-token' },
    });
    clients.push(client);
    return client;
  };
  const ledger = async () => (await (await fetch(`${sim.providersUrl}/ledger`)).json()) as LedgerEntry[];

  it('runs the singleton jobs on exactly one host', async () => {
    await vi.waitFor(
      async () => {
        const [ha, hb] = await Promise.all([health(a), health(b)]);
        expect(ha.status).toBe('ok');
        expect(hb.status).toBe('ok');
        expect([ha.hostId, hb.hostId]).toEqual(['host-a', 'host-b']);
        expect([ha.components.singletons.leader, hb.components.singletons.leader]).toEqual([true, false]);
      },
      { timeout: 30_000, interval: 250 },
    );
  });

  it('delivers a webhook taken by one host to a dashboard client of the other', async () => {
    const onB = ordersOn(b);
    await vi.waitFor(() => expect(onB.cursor).not.toBeNull(), { timeout: 30_000, interval: 100 });
    const order = unknownOrder('930000000000000001');
    const w = buildWebhook(
      { ...DEMO_CREDENTIALS, url: a.url },
      { kind: 'order_status', order, status: 'AWAITING_SHIPMENT' },
      Date.now(),
    );
    const res = await fetch(new URL(w.path, a.url), { method: 'POST', headers: w.headers, body: w.body });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(onB.table.rows().some((r) => r.order_id === order.id)).toBe(true), {
      timeout: 30_000,
      interval: 100,
    });
  });

  it('fulfils traffic spread over both hosts with one payment and one label per order', async () => {
    const onA = ordersOn(a);
    const paid = new Set<string>();
    const t0 = Date.now();
    let n = 0;
    sim.shop.tick(t0);
    for (let t = t0 + 500; t <= t0 + 8000; t += 500) {
      if (t > t0 + 3000) sim.shop.setRate(0);
      for (const notification of sim.shop.tick(t)) {
        // New and paid orders only: a carrier pickup or a delivery before the saga ships would
        // settle the order's status without the saga.
        if (notification.kind !== 'order_status') continue;
        if (notification.status !== 'UNPAID' && notification.status !== 'AWAITING_SHIPMENT') continue;
        if (notification.status === 'AWAITING_SHIPMENT') paid.add(notification.order.id);
        const url = n++ % 2 === 0 ? a.url : b.url;
        expect((await postWebhook({ ...DEMO_CREDENTIALS, url }, notification, t)).status).toBe(200);
      }
    }
    expect(paid.size).toBeGreaterThan(0);
    // Each paid order's saga ends shipped (or cancelled for want of stock), wherever it ran.
    await vi.waitFor(
      () => {
        const rows = new Map(onA.table.rows().map((r) => [String(r.order_id), r]));
        for (const id of paid) expect(['shipped', 'cancelled']).toContain(rows.get(id)?.status);
      },
      { timeout: 120_000, interval: 250 },
    );
    const entries = await ledger();
    for (const e of entries) expect(e.acted, JSON.stringify(e)).toBeLessThanOrEqual(1);
    const acted = (operation: string, orderId: string) =>
      entries
        .filter((e) => e.operation === operation && e.subject.orderId === orderId)
        .reduce((sum, e) => sum + e.acted, 0);
    const rows = new Map(onA.table.rows().map((r) => [String(r.order_id), r]));
    for (const id of paid) {
      // Shipped: charged and labelled exactly once. Cancelled: at most once each (then compensated).
      const most = rows.get(id)?.status === 'shipped' ? [1, 1] : [0, 1];
      for (const operation of ['charge', 'createLabel']) {
        expect(acted(operation, id)).toBeGreaterThanOrEqual(most[0]!);
        expect(acted(operation, id)).toBeLessThanOrEqual(most[1]!);
      }
    }
    expect([...paid].filter((id) => rows.get(id)?.status === 'shipped').length).toBeGreaterThan(0);
  }, 180_000);

  it("gives each browser its own identity, valid on every host: one browser's connections do not lock out another", async () => {
    const page = await fetch(`${a.url}/`);
    const cookie = page.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^cf_browser=/);
    const open: AbortController[] = [];
    const connect = async (headers: Record<string, string>) => {
      const abort = new AbortController();
      open.push(abort);
      const res = await fetch(`${b.url}/realtime/sse?channel=order_metrics`, {
        headers,
        signal: abort.signal,
      });
      return res.status;
    };
    try {
      // The hub allows 10 connections per user; the cookie minted by host A is that user on host B.
      for (let i = 0; i < 10; i++) expect(await connect({ cookie: cookie! })).toBe(200);
      expect(await connect({ cookie: cookie! })).toBe(429);
      // Another browser (no cookie yet: it gets its own identity) is not locked out.
      expect(await connect({})).toBe(200);
    } finally {
      for (const abort of open) abort.abort();
    }
  });

  it('moves the singleton jobs to the other host after a crash, and stops cleanly', async () => {
    expect(await a.kill()).toBeNull();
    // The lease lasts 6 s and a standby asks every 1.5 s: takeover within 7.5 s (bounded generously here).
    await vi.waitFor(async () => expect((await health(b)).components.singletons.leader).toBe(true), {
      timeout: 30_000,
      interval: 100,
    });
    expect(b.stderr.join('\n')).not.toMatch(/unhandled/i);
    expect(await b.stop()).toBe(0);
  }, 60_000);
});
