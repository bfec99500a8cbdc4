/**
 * What the store refuses in a sync report is answered with its typed problem,
 * not a 500: an `Idempotency-Key` reused for another entity is 409
 * `IDEMPOTENCY_KEY_REUSED`, and a long key (HTTP sets no length) still makes a
 * retried report count once. Both were 500 `INTERNAL_ERROR` (the store's
 * error escaped the route), which a caller retries forever.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inventoryStream, orderStream, syncReportRoutes } from '../../src/commerce/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import { silentLogger } from '../../src/core/logger.js';
import { nodeAdapter } from '../../src/http/node.js';
import { createRouter } from '../../src/http/router.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const WAREHOUSE: Authorization = { userId: 'svc-warehouse', tenantIds: [C], roles: ['service'] };

describe.each(commerceEngines.filter((e) => e.name !== 'postgres' || e.available))(
  'sync report store refusals ($name)',
  (engine) => {
    let bed: CommerceTestbed;
    let server: http.Server;
    let base: string;

    beforeEach(async () => {
      bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
      const routes = syncReportRoutes({
        store: bed.store,
        audit: bed.commerce.accessAudit,
        authorize: () => WAREHOUSE,
      });
      server = http.createServer(nodeAdapter(createRouter(routes), { logger: silentLogger }));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await bed.close();
    });

    const post = async (kind: string, body: unknown, key: string) => {
      const res = await fetch(`${base}/api/conflicts/reports/${kind}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const stock = { creatorId: C, productId: 'p1', quantity: 40, source: 'shipping_provider' };
    const order = { creatorId: C, orderId: 'o1', source: 'shipping_provider', status: 'delivered' };
    const count = async (stream: string) => (await bed.store.readStream(stream)).events.length;

    it('a key reused for another entity is 409 IDEMPOTENCY_KEY_REUSED and writes nothing', async () => {
      expect(await post('stock', stock, 'k-1')).toMatchObject({ status: 202, body: { duplicate: false } });
      expect(await post('order', order, 'k-1')).toMatchObject({
        status: 409,
        body: { code: 'IDEMPOTENCY_KEY_REUSED' },
      });
      expect(await count(orderStream(C, 'o1'))).toBe(0);
      expect(await count(inventoryStream(C, 'p1'))).toBe(1);
    });

    it('a key longer than the store keeps is accepted, and its retry counts once', async () => {
      const long = 'k'.repeat(300);
      expect(await post('stock', stock, long)).toMatchObject({ status: 202, body: { duplicate: false } });
      expect(await post('stock', stock, long)).toMatchObject({ status: 202, body: { duplicate: true } });
      // Another long key, equal to the first for its first 299 characters, is another report.
      expect(await post('stock', stock, `${'k'.repeat(299)}x`)).toMatchObject({
        status: 202,
        body: { duplicate: false },
      });
      expect(await count(inventoryStream(C, 'p1'))).toBe(2);
    });
  },
);
