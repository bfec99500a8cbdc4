/**
 * Stock and order reports from other sources over a real HTTP server
 * (`POST /api/conflicts/reports/stock|order`): a service key within its
 * creators or an admin; zod-validated bodies answered with typed 4xx; each
 * accepted report a contender of `resolve-sync-conflicts` with its source's
 * priority. Memory, PGlite and (when up) PostgreSQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  inventoryStream,
  orderStream,
  syncReportRoutes,
  type InventoryLevelRow,
} from '../../src/commerce/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import { nodeAdapter } from '../../src/http/node.js';
import { createRouter } from '../../src/http/router.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const CALLERS: Record<string, Authorization> = {
  'Bearer admin': { userId: 'admin-7', tenantIds: [], roles: ['admin'] },
  'Bearer warehouse': { userId: 'svc-warehouse', tenantIds: [C], roles: ['service'] },
  'Bearer colon-a': { userId: 'svc:a', tenantIds: [C], roles: ['service'] },
  'Bearer colon': { userId: 'svc', tenantIds: [C], roles: ['service'] },
  'Bearer other-service': { userId: 'svc-other', tenantIds: ['creator-2'], roles: ['service'] },
  'Bearer creator': { userId: C, tenantIds: [C], roles: ['creator'] },
};

describe.each(commerceEngines.filter((e) => e.name !== 'postgres' || e.available))(
  'sync report routes ($name)',
  (engine) => {
    let bed: CommerceTestbed;
    let server: http.Server;
    let base: string;

    beforeEach(async () => {
      bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
      const routes = syncReportRoutes({
        store: bed.store,
        audit: bed.commerce.accessAudit,
        authorize: (req) => CALLERS[String(req.headers.authorization)] ?? null,
        now: () => T0,
      });
      server = http.createServer(nodeAdapter(createRouter(routes)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await bed.close();
    });

    const post = async (kind: string, token: string | null, body: unknown, headers = {}) => {
      const res = await fetch(`${base}/api/conflicts/reports/${kind}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> | null };
    };
    const stock = (extra: Record<string, unknown> = {}) => ({
      creatorId: C,
      productId: 'p1',
      quantity: 40,
      source: 'shipping_provider',
      ...extra,
    });
    const reportsOn = async (stream: string) => (await bed.store.readStream(stream)).events.length;

    it('refuses without identity (401), without the role or the creator (403), and bad bodies (400); appends nothing', async () => {
      expect(await post('stock', null, stock())).toMatchObject({
        status: 401,
        body: { code: 'UNAUTHENTICATED' },
      });
      expect(await post('stock', 'creator', stock())).toMatchObject({
        status: 403,
        body: { code: 'FORBIDDEN' },
      });
      expect(await post('stock', 'other-service', stock())).toMatchObject({
        status: 403,
        body: { code: 'FORBIDDEN' },
      });
      // An admin's count outranks automated sources: a service may not claim it.
      expect(await post('stock', 'warehouse', stock({ source: 'manual_admin' }))).toMatchObject({
        status: 403,
        body: { code: 'FORBIDDEN' },
      });
      expect(await post('stock', 'warehouse', '{not json')).toMatchObject({
        status: 400,
        body: { code: 'MALFORMED_JSON' },
      });
      for (const bad of [
        stock({ quantity: -1 }),
        stock({ quantity: 1.5 }),
        stock({ colour: 'red' }),
        stock({ source: 'tiktok_webhook' }),
        stock({ source: 'carrier_pigeon' }),
        stock({ reportedAt: 'yesterday' }),
        { creatorId: C, quantity: 4, source: 'shipping_provider' },
      ]) {
        const res = await post('stock', 'warehouse', bad);
        expect(res, JSON.stringify(bad)).toMatchObject({
          status: 400,
          body: { code: 'CONFLICT_MALFORMED_INPUT' },
        });
        expect((res.body!.issues as unknown[]).length).toBeGreaterThan(0);
      }
      const noField = await post('order', 'warehouse', {
        creatorId: C,
        orderId: 'o1',
        source: 'shipping_provider',
      });
      expect(noField).toMatchObject({ status: 400, body: { code: 'CONFLICT_MALFORMED_INPUT' } });
      expect(await reportsOn(inventoryStream(C, 'p1'))).toBe(0);
      expect(await reportsOn(orderStream(C, 'o1'))).toBe(0);
    });

    it('each report is a contender with its source priority; the higher priority wins the window', async () => {
      const shipped = await post('stock', 'warehouse', stock({ quantity: 40, sourceId: 'wh-1' }));
      expect(shipped).toMatchObject({
        status: 202,
        body: {
          entityType: 'inventory',
          entityId: 'p1',
          source: 'shipping_provider',
          priority: 8,
          duplicate: false,
        },
      });
      const counted = await post(
        'stock',
        'admin',
        stock({ quantity: 42, source: 'manual_admin', reportedAt: new Date(T0 + 500).toISOString() }),
      );
      expect(counted).toMatchObject({ status: 202, body: { source: 'manual_admin', priority: 7 } });
      const [first, second] = (await bed.store.readStream(inventoryStream(C, 'p1'))).events;
      expect(first).toMatchObject({
        type: 'inventory.stock_reported',
        data: {
          creatorId: C,
          productId: 'p1',
          quantity: 40,
          sourceId: 'wh-1',
          reportedAt: new Date(T0).toISOString(),
        },
        metadata: {
          source: 'shipping_provider',
          actor: { kind: 'service', id: 'svc-warehouse' },
          userId: 'svc-warehouse',
        },
      });
      // sourceId defaults to the caller.
      expect(second!.data).toMatchObject({ source: 'manual_admin', sourceId: 'admin-7' });
      expect(second!.metadata).toMatchObject({ actor: { kind: 'admin', id: 'admin-7' } });
      // The admin reported for a creator not their own: access-audited; the service within its own: not.
      expect(await bed.commerce.accessAudit.list()).toEqual([
        expect.objectContaining({
          userId: 'admin-7',
          action: 'conflicts.report_stock',
          resource: inventoryStream(C, 'p1'),
          tenantIds: [C],
        }),
      ]);

      const conflicts = bed.commerce.conflicts!;
      await conflicts.whenCaughtUp();
      expect(await conflicts.settleDue(T0 + 3_600_000)).toMatchObject({ resolved: 1, escalated: 0 });
      const [record] = await conflicts.unscopedResolver.list();
      expect(record!.resolution.contenders.map((c) => [c.source, c.priority])).toEqual([
        ['shipping_provider', 8],
        ['manual_admin', 7],
      ]);
      await conflicts.whenCaughtUp();
      await bed.commerce.whenIdle();
      const row = await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'p1',
      });
      expect(Number(row!.on_hand)).toBe(40);
    });

    it('an order report is staged for its order; a retried report with the same Idempotency-Key counts once', async () => {
      const report = { creatorId: C, orderId: 'o1', source: 'shipping_provider', status: 'delivered' };
      const first = await post('order', 'warehouse', report, { 'idempotency-key': 'delivery-1' });
      expect(first).toMatchObject({
        status: 202,
        body: {
          entityType: 'order',
          entityId: 'o1',
          source: 'shipping_provider',
          priority: 8,
          duplicate: false,
        },
      });
      const again = await post('order', 'warehouse', report, { 'idempotency-key': 'delivery-1' });
      expect(again).toMatchObject({ status: 202, body: { duplicate: true, eventId: null } });
      const paid = await post('order', 'admin', {
        creatorId: C,
        orderId: 'o1',
        source: 'payment_processor',
        totalAmount: 25,
      });
      expect(paid).toMatchObject({ status: 202, body: { priority: 9 } });
      const { events } = await bed.store.readStream(orderStream(C, 'o1'));
      expect(events.map((e) => [e.type, (e.data as { source: string }).source])).toEqual([
        ['order.state_reported', 'shipping_provider'],
        ['order.state_reported', 'payment_processor'],
      ]);
    });

    // Both were 500 INTERNAL_ERROR (the store's error escaped the route), which a caller retries forever.
    it('an Idempotency-Key reused for another entity is 409 IDEMPOTENCY_KEY_REUSED and writes nothing', async () => {
      const order = { creatorId: C, orderId: 'o1', source: 'shipping_provider', status: 'delivered' };
      expect(await post('stock', 'warehouse', stock(), { 'idempotency-key': 'k-1' })).toMatchObject({
        status: 202,
        body: { duplicate: false },
      });
      expect(await post('order', 'warehouse', order, { 'idempotency-key': 'k-1' })).toMatchObject({
        status: 409,
        body: { code: 'IDEMPOTENCY_KEY_REUSED' },
      });
      expect(await reportsOn(orderStream(C, 'o1'))).toBe(0);
      expect(await reportsOn(inventoryStream(C, 'p1'))).toBe(1);
    });

    // Both were `sync-report:svc:a:k`: the second caller's report was taken as the first's retry.
    it("two callers' keys never meet, whatever ':' their user ids and keys hold", async () => {
      expect(await post('stock', 'colon-a', stock(), { 'idempotency-key': 'k' })).toMatchObject({
        status: 202,
        body: { duplicate: false },
      });
      expect(await post('stock', 'colon', stock(), { 'idempotency-key': 'a:k' })).toMatchObject({
        status: 202,
        body: { duplicate: false },
      });
      expect(await reportsOn(inventoryStream(C, 'p1'))).toBe(2);
    });

    it('an Idempotency-Key longer than the store keeps is accepted, and its retry counts once', async () => {
      const long = { 'idempotency-key': 'k'.repeat(300) };
      expect(await post('stock', 'warehouse', stock(), long)).toMatchObject({
        status: 202,
        body: { duplicate: false },
      });
      expect(await post('stock', 'warehouse', stock(), long)).toMatchObject({
        status: 202,
        body: { duplicate: true },
      });
      // Another long key, equal to the first for its first 299 characters, is another report.
      const other = { 'idempotency-key': `${'k'.repeat(299)}x` };
      expect(await post('stock', 'warehouse', stock(), other)).toMatchObject({
        status: 202,
        body: { duplicate: false },
      });
      expect(await reportsOn(inventoryStream(C, 'p1'))).toBe(2);
    });
  },
);
