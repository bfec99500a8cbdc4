/**
 * The HTTP contract both example hosts pass (Express and Fastify), on real
 * servers on ephemeral ports: health, dashboard files, signed webhooks in,
 * the commerce module's fulfillment saga and read models behind them, deltas
 * out over SSE and WebSocket, a buyer's cancellation refunded and its stock
 * released, the manual conflict queue authorised with roles.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { connectRealtime, type RealtimeClient } from '../../src/client/index.js';
import { inventoryStream, orderStream } from '../../src/commerce/inventory/streams.js';
import { stockReportEvent, type StockReported } from '../../src/commerce/conflicts/index.js';
import { commerceEvent } from '../../src/commerce/events/catalog.js';
import type { InventoryEventSync } from '../../src/commerce/inventory/inventory-sync-trigger.js';
import { CATALOG } from '../../examples/simulator/catalog.js';
import type { Row } from '../../src/core/row-change.js';
import { DEMO_ADMIN_TOKEN, DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import type { HostHealth } from '../../examples/shared/host-health.js';
import type { RunningHost, StartHostOptions } from '../../examples/shared/running-host.js';
import type { Notification, SimOrder } from '../../examples/simulator/fake-shop.js';
import { startSimulator, type Simulator } from '../../examples/simulator/simulator.js';
import { buildWebhook, postWebhook, type WebhookTarget } from '../../examples/simulator/webhook-sender.js';
import { unknownOrder } from './unknown-order.js';

/** Starts a host (the framework under test). */
export type StartHost = (options: StartHostOptions) => Promise<RunningHost>;

const SETUP_TIMEOUT = 180_000;

/**
 * Run the contract against one host.
 *
 * @example
 * ```ts
 * hostContract('express', startExpressHost);
 * ```
 */
export function hostContract(name: string, start: StartHost, extra: StartHostOptions = {}): void {
  describe(`${name} host contract`, () => {
    let sim: Simulator;
    let running: RunningHost;
    let target: WebhookTarget;
    const clients: RealtimeClient[] = [];

    beforeAll(async () => {
      sim = await startSimulator({
        url: 'http://localhost',
        autoStart: false,
        seed: 7,
        cancelRate: 0,
        rate: 2,
      });
      running = await start({
        ...extra,
        port: 0,
        hostname: '127.0.0.1',
        tiktokApiUrl: sim.apiUrl,
        openAccess: false,
        heartbeatMs: 1000,
        // On, as by default, but with targets a loaded test machine does not reach:
        // these tests expect every webhook accepted (shedding: test/ingest/admission-host.test.ts).
        admission: { targetLagMs: 120_000, targetEventLoopDelayMs: 10_000 },
      });
      sim.retarget(running.url);
      target = { ...DEMO_CREDENTIALS, url: running.url };
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      for (const c of clients) c.close();
      await sim?.stop();
      await running?.close();
    }, 60_000);

    const get = (path: string, init?: RequestInit) => fetch(new URL(path, running.url), init);
    const subscribe = (channel: string, filter?: string): RealtimeClient => {
      const client = connectRealtime({
        url: `${running.url}/realtime/sse`,
        channel,
        throttleMs: 0,
        headers: { authorization: 'Bearer demo-token' },
        ...(filter ? { filter } : {}),
      });
      clients.push(client);
      return client;
    };

    it('runs a schedule on demand for an admin only (401 without a token, 403 for a creator), and lists the schedules and their runs', async () => {
      const admin = { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` };
      const path = '/api/schedules/sync-inventory-levels/runs';
      expect((await get(path, { method: 'POST' })).status).toBe(401);
      expect(
        (await get(path, { method: 'POST', headers: { authorization: 'Bearer demo-token' } })).status,
      ).toBe(403); // a creator, not an admin
      // A service key acts for its creators only; a run acts for every creator: refused too.
      const cron = await running.host.serviceKeys.issue({
        name: 'cron',
        tenantIds: [DEMO_CREDENTIALS.creatorId],
      });
      expect(
        (await get(path, { method: 'POST', headers: { authorization: `Bearer ${cron.key}` } })).status,
      ).toBe(403);
      const res = await get(path, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(200);
      const { run } = (await res.json()) as {
        run: { status: string; trigger: string; result: { creators: number; read: number } };
      };
      // It read the fake TikTok Shop's stock through the port: every product of the catalog.
      expect(run).toMatchObject({
        status: 'succeeded',
        trigger: 'manual',
        result: { creators: 1, read: CATALOG.length },
      });
      const list = (await (await get('/api/schedules', { headers: admin })).json()) as {
        schedules: { name: string }[];
      };
      expect(list.schedules.map((s) => s.name)).toEqual([
        'sync-inventory-levels',
        'archive-event-log',
        'prune-access-audit',
        'update-analytics',
        'capacity-check',
      ]);
      // The run acted as the schedule's system principal, on the admin's request, and the
      // trigger is in the access audit.
      const { events } = await running.host.engine.store.readStream(
        `inventory-sync-${DEMO_CREDENTIALS.creatorId}`,
      );
      // (A due run may have appended since: look for the one the admin asked for.)
      expect(events.map((e) => e.metadata)).toContainEqual(
        expect.objectContaining({
          actor: { kind: 'system', id: 'system:schedule:sync-inventory-levels', requestedBy: 'demo-admin' },
        }),
      );
      expect(await running.host.commerce.accessAudit.list({ userId: 'demo-admin' })).toContainEqual(
        expect.objectContaining({ action: 'schedules.trigger', resource: 'sync-inventory-levels' }),
      );
      const history = (await (await get(path, { headers: admin })).json()) as { runs: unknown[] };
      expect(history.runs.length).toBeGreaterThanOrEqual(1);
      expect((await get('/api/schedules/nope/runs', { headers: admin })).status).toBe(404);
    });

    it('acknowledges alerts for admins only: problem+json 401 without a token, 403 for a creator', async () => {
      const path = '/alerts/no-such-alert/acknowledge';
      const post = async (token?: string) => {
        const res = await get(path, {
          method: 'POST',
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as { code: string };
        return { status: res.status, type: res.headers.get('content-type')?.split(';')[0], code: body.code };
      };
      const json = 'application/problem+json';
      expect(await post()).toEqual({ status: 401, type: json, code: 'UNAUTHENTICATED' });
      expect(await post('demo-token')).toEqual({ status: 403, type: json, code: 'FORBIDDEN' });
      // The admin passes the role check; there is no such alert.
      expect(await post(DEMO_ADMIN_TOKEN)).toEqual({ status: 404, type: json, code: 'ALERT_NOT_FOUND' });
    });

    it('audits an admin’s realtime subscription across creators once; a creator’s is scoped and not audited', async () => {
      const { engine } = running.host;
      const before = (await engine.accessAudit.list()).length;
      const open = (token: string) => {
        const client = connectRealtime({
          url: `${running.url}/realtime/sse`,
          channel: 'inventory_alerts',
          throttleMs: 0,
          headers: { authorization: `Bearer ${token}` },
          filter: 'creator_id=eq.creator-other',
        });
        clients.push(client);
        return client;
      };
      const creator = open('demo-token');
      const admin = open(DEMO_ADMIN_TOKEN);
      // A service key's roles apply: a plain one is scoped like a creator (not audited).
      const { key } = await running.host.serviceKeys.issue({ name: 'realtime-reader', tenantIds: ['c-x'] });
      const service = open(key);
      // Each got its snapshot (the admin's only after its audit entry was written).
      await vi.waitFor(
        () => expect([creator.stats.resets, admin.stats.resets, service.stats.resets]).toEqual([1, 1, 1]),
        { timeout: 20_000, interval: 100 },
      );
      const entries = (await engine.accessAudit.list()).slice(0, -before || undefined);
      expect(entries).toEqual([
        expect.objectContaining({
          userId: 'demo-admin',
          action: 'realtime.subscribe',
          resource: 'inventory_alerts',
          tenantIds: ['creator-other'],
          detail: 'creator_id=eq.creator-other',
        }),
      ]);
      creator.close();
      admin.close();
      service.close();
    });

    it('runs sync-inventory-levels on inventory events: a reservation has its product read from TikTok', async () => {
      const { commerce, engine } = running.host;
      const C = DEMO_CREDENTIALS.creatorId;
      const product = CATALOG[0]!.id;
      const synced: InventoryEventSync[] = [];
      const onSynced = (run: InventoryEventSync) => synced.push(run);
      commerce.inventorySync!.on('synced', onSynced);
      try {
        await engine.store.append(inventoryStream(C, product), [
          commerceEvent('inventory.reserved', {
            creatorId: C,
            productId: product,
            orderId: 'contract-sync-on-events',
            quantity: 1,
          }),
        ]);
        await vi.waitFor(
          () => expect(synced.find((r) => r.productIds.includes(product))).toMatchObject({ read: 1 }),
          { timeout: 30_000, interval: 100 },
        );
      } finally {
        commerce.inventorySync!.off('synced', onSynced);
      }
    }, 60_000);

    it('answers GET /healthz with a typed status per component and no error text', async () => {
      const res = await get('/healthz');
      expect(res.status).toBe(200);
      const body = (await res.json()) as HostHealth;
      expect(body.status).toBe('ok');
      expect(body.hostId).toBe(running.host.hostId);
      expect(body.components).toEqual({
        database: { status: 'ok', engine: extra.databaseUrl ? 'postgres' : 'pglite' },
        redis: { status: extra.redisUrl ? 'ok' : 'disabled' },
        readModels: { status: 'ok', lagEvents: expect.any(Number), lagMs: expect.any(Number) },
        sagas: {
          status: 'ok',
          active: expect.any(Number),
          completed: expect.any(Number),
          failed: expect.any(Number),
        },
        deadLetters: { status: 'ok', events: 0, compensations: 0 },
        // A lone host holds the singleton lease.
        singletons: { status: 'ok', leader: true },
        // Admission is on; nothing has been refused.
        intake: {
          status: 'ok',
          ratePerS: expect.any(Number),
          refused: { pipeline_lag: 0, event_loop_delay: 0, concurrency: 0 },
        },
      });
    });

    it('serves the dashboard page, its script and the client bundle', async () => {
      const page = await get('/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('/dashboard/dashboard.js');
      const bundle = await get('/dashboard/client.js');
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      expect(await bundle.text()).toMatch(/connectRealtime/);
      expect((await get('/dashboard/nope.js')).status).toBe(404);
    });

    it('mounts the manual conflict queue: scoped by creator, admins access-audited, only admins decide', async () => {
      const { commerce, engine } = running.host;
      const C = DEMO_CREDENTIALS.creatorId;
      const t0 = Date.now() - 120_000;
      // A product of no poller: a lone figure, then two sources far apart in one window (escalated).
      const figure = (source: StockReported['source'], quantity: number, ms: number) =>
        stockReportEvent({
          creatorId: C,
          productId: 'p-queue',
          quantity,
          source,
          sourceId: source,
          reportedAt: new Date(t0 + ms).toISOString(),
        });
      await engine.store.append(inventoryStream(C, 'p-queue'), [figure('tiktok_webhook', 50, 0)]);
      // Late figures whose window is already due settle as soon as they are staged:
      // the two rivals go in one append so they are staged (and settled) together.
      await engine.store.append(inventoryStream(C, 'p-queue'), [
        figure('tiktok_webhook', 20, 60_000),
        figure('scheduled_sync', 44, 60_500),
      ]);
      const queue = async (path: string, token?: string, body?: unknown) => {
        const res = await get(`/api/conflicts${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as { conflicts: { conflictId: string }[] } };
      };
      expect((await queue('/pending')).status).toBe(401);
      let id = '';
      await vi.waitFor(
        async () => {
          const mine = await queue('/pending/inventory', 'demo-token');
          expect(mine.body.conflicts).toHaveLength(1);
          id = mine.body.conflicts[0]!.conflictId;
        },
        { timeout: 60_000, interval: 250 },
      );
      // A service key of another creator sees none of it; a revoked key is nobody.
      const other = await running.host.serviceKeys.issue({
        name: 'other-shop',
        tenantIds: ['creator-other'],
      });
      expect(await queue('/pending', other.key)).toEqual({ status: 200, body: { conflicts: [] } });
      await running.host.serviceKeys.revoke(other.info.keyId);
      expect((await queue('/pending', other.key)).status).toBe(401);
      // The admin reads every creator: written to the access audit.
      const audited = (await commerce.accessAudit.list()).length;
      expect((await queue('/pending', 'demo-admin-token')).body.conflicts).toHaveLength(1);
      expect(await commerce.accessAudit.list()).toHaveLength(audited + 1);
      const decision = { values: { quantity: 30 }, note: 'shelf count' };
      expect((await queue(`/${id}/decision`, 'demo-token', decision)).status).toBe(403);
      expect((await queue(`/${id}/decision`, 'demo-admin-token', decision)).status).toBe(200);
      await vi.waitFor(
        async () => {
          const row = await commerce.readModels.unscopedFind('inventory_levels', {
            creator_id: C,
            product_id: 'p-queue',
          });
          expect(Number(row?.on_hand)).toBe(30);
        },
        { timeout: 30_000, interval: 250 },
      );
    }, 120_000);

    it('takes stock reports of other sources: service keys within their creator, typed refusals, settled by priority', async () => {
      const { commerce, serviceKeys } = running.host;
      const C = DEMO_CREDENTIALS.creatorId;
      const warehouse = await serviceKeys.issue({ name: 'warehouse', tenantIds: [C], roles: ['service'] });
      const report = async (token: string, body: unknown) => {
        const res = await get('/api/conflicts/reports/stock', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const figure = { creatorId: C, productId: 'p-report', quantity: 17, source: 'shipping_provider' };
      expect(await report('demo-token', figure)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      expect(await report(warehouse.key, { ...figure, quantity: -3 })).toMatchObject({
        status: 400,
        body: { code: 'CONFLICT_MALFORMED_INPUT' },
      });
      expect(await report(warehouse.key, figure)).toMatchObject({
        status: 202,
        body: { entityType: 'inventory', entityId: 'p-report', priority: 8 },
      });
      await vi.waitFor(
        async () => {
          const row = await commerce.readModels.unscopedFind('inventory_levels', {
            creator_id: C,
            product_id: 'p-report',
          });
          expect(Number(row?.on_hand)).toBe(17);
        },
        { timeout: 30_000, interval: 250 },
      );
    }, 120_000);

    it('refuses realtime requests without a known token, and bad filters', async () => {
      const anonymous = await get('/realtime/sse?channel=order_metrics');
      expect(anonymous.status).toBe(401);
      const wrong = await get('/realtime/sse?channel=order_metrics&token=nope');
      expect(wrong.status).toBe(401);
      const badFilter = await get('/realtime/sse?channel=order_metrics&filter=secret=eq.1&token=demo-token');
      expect(badFilter.status).toBe(400);
      const unknown = await get('/realtime/sse?channel=nope&token=demo-token');
      expect(unknown.status).toBe(404);
    });

    it('takes a token named like an Object.prototype member for no identity: 401 on every route', async () => {
      for (const token of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const bearer = { headers: { authorization: `Bearer ${token}` } };
        const statuses = {
          realtime: (await get(`/realtime/sse?channel=order_metrics&token=${token}`)).status,
          queue: (await get('/api/conflicts/pending', bearer)).status,
          report: (
            await get('/api/conflicts/reports/stock', {
              method: 'POST',
              headers: { ...bearer.headers, 'content-type': 'application/json' },
              body: JSON.stringify({ creatorId: 'c', productId: 'p', quantity: 1, source: 'warehouse' }),
            })
          ).status,
          schedules: (await get('/api/schedules', bearer)).status,
          acknowledge: (await get('/alerts/none/acknowledge', { ...bearer, method: 'POST' })).status,
        };
        expect(statuses, token).toEqual({
          realtime: 401,
          queue: 401,
          report: 401,
          schedules: 401,
          acknowledge: 401,
        });
      }
    });

    it('rejects a TikTok webhook whose signature does not match, writing nothing', async () => {
      const order = unknownOrder('900000000000000001');
      const { path, headers, body } = buildWebhook(
        target,
        { kind: 'order_status', order, status: 'UNPAID' },
        Date.now(),
      );
      const res = await get(path, {
        method: 'POST',
        headers: { ...headers, authorization: 'f'.repeat(64) },
        body,
      });
      expect(res.status).toBe(401);
      const { events } = await running.host.engine.store.readStream(
        orderStream(DEMO_CREDENTIALS.creatorId, '900000000000000001'),
      );
      expect(events).toHaveLength(0);
    });

    it('accepts a signed TikTok webhook once and acknowledges its redelivery', async () => {
      const order = unknownOrder('900000000000000002');
      const request = buildWebhook(target, { kind: 'order_status', order, status: 'UNPAID' }, Date.now());
      const send = () => get(request.path, { method: 'POST', headers: request.headers, body: request.body });
      const first = await send();
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ status: 'accepted', duplicate: false });
      const again = await send();
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ status: 'accepted', duplicate: true, events: 0 });
    });

    it('serves Prometheus metrics counting the webhooks it answered, by code', async () => {
      const res = await get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      // The signed webhook above was accepted twice (once new, once a redelivery).
      expect(text).toMatch(
        /creatorflow_webhook_requests_total\{route="\/api\/webhooks\/tiktok",code="200"\} [2-9]/,
      );
      expect(text).toContain('creatorflow_store_append_duration_seconds_bucket');
      expect(text).toMatch(/creatorflow_up 1/);
    });

    it('accepts signed shipping webhooks for known orders and refuses unknown providers and orders', async () => {
      const order = unknownOrder('900000000000000003');
      const n: Notification = { kind: 'tracking', order, status: 'picked_up' };
      // The carrier may only write to an order the creator has.
      expect((await postWebhook(target, n, Date.now())).status).toBe(404);
      const placed: Notification = { kind: 'order_status', order, status: 'UNPAID' };
      expect((await postWebhook(target, placed, Date.now())).status).toBe(200);
      expect((await postWebhook(target, n, Date.now())).status).toBe(200);
      const other = { ...target, shipping: { ...target.shipping, provider: 'nobody' } };
      expect((await postWebhook(other, n, Date.now())).status).toBe(404);
      const { events } = await running.host.engine.store.readStream(
        orderStream(DEMO_CREDENTIALS.creatorId, '900000000000000003'),
      );
      // The host runs with conflicts: the carrier's transition is reported in its append (UNPAID
      // reports nothing); the settled order.reconciled follows when the window closes.
      expect(events.map((e) => e.type).filter((t) => t !== 'order.reconciled')).toEqual([
        'tiktok.webhook_received',
        'tiktok.order_status_changed',
        'order.shipped',
        'order.state_reported',
      ]);
      expect(events[3]!.data).toMatchObject({
        status: 'shipped',
        source: 'shipping_provider',
        sourceId: DEMO_CREDENTIALS.shipping.provider,
      });
    });

    it('turns simulated traffic into fulfillment sagas, read models and deltas over SSE', async () => {
      const { commerce } = running.host;
      const creator = { creator_id: DEMO_CREDENTIALS.creatorId };
      // The receiver tests above shipped an order outside this flow: count from here.
      await running.host.engine.whenCaughtUp({ timeoutMs: 30_000 });
      const before = (await commerce.readModels.unscopedFind('order_metrics', creator)) ?? {};
      const counter = (name: string) => Number(before[name] ?? 0);
      const metrics = subscribe('order_metrics');
      const revenue = subscribe('daily_revenue_metrics');
      const stock = subscribe('inventory_alerts');
      const health = subscribe('system_health_metrics');
      // Drive the fake shop on a synthetic clock: every order is paid, shipped, delivered.
      const paid = new Map<string, SimOrder>();
      const delivered = new Map<string, SimOrder>();
      const t0 = Date.now();
      sim.shop.tick(t0);
      for (let t = t0 + 500; t <= t0 + 40_000; t += 500) {
        if (t > t0 + 3000) sim.shop.setRate(0);
        for (const n of sim.shop.tick(t)) {
          if (n.kind === 'order_status' && n.status === 'AWAITING_SHIPMENT') paid.set(n.order.id, n.order);
          if (n.kind === 'order_status' && n.status === 'DELIVERED') delivered.set(n.order.id, n.order);
          // The carrier collects a parcel only once its label exists: the saga has run.
          if (n.kind === 'tracking' && n.status === 'label_created') {
            const saga = await commerce.waitForFulfillment(DEMO_CREDENTIALS.creatorId, n.order.id, 60_000);
            expect(saga.status).toBe('completed');
          }
          const { status } = await postWebhook(target, n, Math.min(t, Date.now() + 60_000));
          expect(status).toBe(200);
        }
        if ([...sim.shop.orders.values()].every((o) => o.nextAt === Infinity)) break;
      }
      expect(paid.size).toBeGreaterThan(0);
      expect(delivered.size).toBe(paid.size);
      const cents = (orders: Iterable<SimOrder>) =>
        [...orders].reduce((sum, o) => sum + Math.round(o.total * 100), 0);
      await vi.waitFor(
        () => {
          const row = metrics.table.rows()[0] as Row | undefined;
          expect(row).toMatchObject({
            creator_id: DEMO_CREDENTIALS.creatorId,
            received_orders: counter('received_orders') + paid.size,
            shipped_orders: counter('shipped_orders') + paid.size,
            automated_orders: counter('automated_orders') + paid.size,
            failed_orders: counter('failed_orders'),
            active_orders: counter('active_orders'),
          });
          // Revenue counts completed (delivered) orders, per UTC day.
          const days = revenue.table.rows();
          const sum = (column: string) => days.reduce((n, r) => n + Number(r[column]), 0);
          expect(sum('orders_received')).toBe(paid.size);
          expect(sum('orders_completed')).toBe(delivered.size);
          expect(Math.round(sum('revenue') * 100)).toBe(cents(delivered.values()));
        },
        { timeout: 60_000, interval: 200 },
      );
      // The inventory poller and the health monitor feed their channels too.
      await vi.waitFor(() => expect(health.table.rows().length).toBe(4), { timeout: 30_000, interval: 200 });
      expect(stock.cursor).not.toBeNull();
      // What the client holds is what the database holds (as JSON: timestamps are strings on the wire).
      await running.host.engine.whenCaughtUp({ timeoutMs: 30_000 });
      await vi.waitFor(async () => {
        const rows = await commerce.readModels.unscopedRows('order_metrics');
        expect(metrics.table.rows()).toEqual(JSON.parse(JSON.stringify(rows)));
      });
      expect(metrics.stats.duplicatesDropped).toBe(0);
    }, 120_000);

    it('refunds a buyer-cancelled paid order through the payment port and releases its stock', async () => {
      const { commerce, engine } = running.host;
      const C = DEMO_CREDENTIALS.creatorId;
      // One order from the fake shop, driven to paid (AWAITING_SHIPMENT) and fulfilled.
      let t = Date.now();
      sim.shop.setRate(2);
      let order: SimOrder | undefined;
      while (!order) {
        t += 500;
        for (const n of sim.shop.tick(t)) {
          if (n.kind === 'order_status' && n.status === 'UNPAID') {
            order ??= n.order;
            sim.shop.setRate(0);
          }
          if (n.kind !== 'order_status' || n.order === order)
            expect((await postWebhook(target, n, Date.now())).status).toBe(200);
        }
      }
      while (order.status !== 'AWAITING_SHIPMENT') {
        t += 500;
        for (const n of sim.shop.tick(t))
          if (n.kind !== 'order_status' || n.order === order)
            expect((await postWebhook(target, n, Date.now())).status).toBe(200);
      }
      // The fake shop moves it no further: the buyer cancels it after fulfillment.
      order.nextAt = Infinity;
      expect((await commerce.waitForFulfillment(C, order.id, 60_000)).status).toBe('completed');
      order.status = 'CANCELLED';
      const cancel = { kind: 'order_status', order, status: 'CANCELLED' } as const;
      expect((await postWebhook(target, cancel, Date.now())).status).toBe(200);
      expect((await commerce.waitForCancellation(C, order.id, 60_000)).status).toBe('completed');
      const { events } = await engine.store.readStream(orderStream(C, order.id));
      const refunded = events.filter((e) => e.type === 'order.refunded');
      expect(refunded.map((e) => Math.round((e.data as { amount: number }).amount * 100))).toEqual([
        Math.round(order.total * 100),
      ]);
      const released = events.filter(
        (e) =>
          e.type === 'inventory.released' &&
          ['cancelled', 'returned'].includes((e.data as { reason: string }).reason),
      );
      expect(released.reduce((n, e) => n + (e.data as { quantity: number }).quantity, 0)).toBe(
        order.quantity,
      );
      expect(released.every((e) => (e.data as { productId: string }).productId === order.product.id)).toBe(
        true,
      );
    }, 120_000);

    it('streams the same envelopes over WebSocket', async () => {
      const url = `${running.url.replace('http', 'ws')}/realtime/ws?channel=order_metrics&token=demo-token`;
      const socket = new WebSocket(url);
      const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
        socket.once('message', (data: Buffer) =>
          resolve(JSON.parse(data.toString()) as Record<string, unknown>),
        );
        socket.once('error', reject);
      });
      socket.close();
      expect(first).toMatchObject({ type: 'reset', channel: 'order_metrics' });
      expect((first.rows as Row[])[0]).toMatchObject({ creator_id: DEMO_CREDENTIALS.creatorId });
    });

    it('survives a malformed WebSocket frame (the socket is closed, the host keeps serving)', async () => {
      const { port } = new URL(running.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        'GET /realtime/ws?channel=order_metrics&token=demo-token HTTP/1.1\r\nHost: x\r\n' +
          'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await once(socket, 'data');
      // A client frame without a mask: a protocol error the server answers with a close frame (1002).
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
      const closeFrame = Buffer.from([0x88, 0x02, 0x03, 0xea]);
      await vi.waitFor(() => expect(received.includes(closeFrame)).toBe(true), { timeout: 10_000 });
      socket.destroy();
      expect((await get('/healthz')).status).toBe(200);
    });

    it('closes a WebSocket that has no valid token with a 4401 code', async () => {
      const socket = new WebSocket(
        `${running.url.replace('http', 'ws')}/realtime/ws?channel=order_metrics&token=nope`,
      );
      const code = await new Promise<number>((resolve) => socket.once('close', (c: number) => resolve(c)));
      expect(code).toBe(4401);
    });
  });
}
