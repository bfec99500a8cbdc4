/**
 * A product's inventory stream is scoped by creator as an order's is: two
 * (creator, product) pairs never share a stream (the plain
 * `inventory-<creator>-<product>` let a service of creator `creator` write to
 * creator `creator-1`'s stream), and every pair the catalog allows (ids up to
 * 200 characters) fits the store (a long pair was refused: a stock report for
 * it was a 500).
 */
import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  inventoryStream,
  inventorySyncStream,
  orderStream,
  syncReportRoutes,
} from '../../src/commerce/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import { silentLogger } from '../../src/core/logger.js';
import { nodeAdapter } from '../../src/http/node.js';
import { createRouter } from '../../src/http/router.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

describe('inventoryStream', () => {
  it('gives distinct ids to distinct (creator, product) pairs, within the store limit', () => {
    const id = fc.string({ minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(id, id, id, id, (c1, p1, c2, p2) => {
        fc.pre(c1 !== c2 || p1 !== p2);
        expect(inventoryStream(c1, p1)).not.toBe(inventoryStream(c2, p2));
        expect(inventoryStream(c1, p1).length).toBeLessThanOrEqual(256);
        expect(inventoryStream(c1, p1)).not.toBe(orderStream(c2, p2));
      }),
    );
    expect(inventoryStream('creator', '1-p1')).not.toBe(inventoryStream('creator-1', 'p1'));
    expect(inventoryStream('a:b', 'c')).not.toBe(inventoryStream('a', 'b:c'));
    expect(inventoryStream('creator-1', 'p1')).toBe('inventory-creator-1:p1');
  });
});

describe('inventorySyncStream', () => {
  it("is no product's inventory stream and no other creator's sync stream, within the store limit", () => {
    const id = fc.string({ minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(id, id, id, (c1, c2, p2) => {
        expect(inventorySyncStream(c1)).not.toBe(inventoryStream(c2, p2));
        expect(inventorySyncStream(c1).length).toBeLessThanOrEqual(256);
        if (c1 !== c2) expect(inventorySyncStream(c1)).not.toBe(inventorySyncStream(c2));
      }),
    );
    // The plain form put creator `a:b`'s runs in creator `sync-a`'s stream of product `b`.
    expect(inventorySyncStream('a:b')).not.toBe(inventoryStream('sync-a', 'b'));
    expect(inventorySyncStream('creator-1')).toBe('inventory-sync-creator-1');
  });
});

const LONG_CREATOR = `creator-${'x'.repeat(92)}`;
const LONG_PRODUCT = `p-${'y'.repeat(198)}`;

describe.each(commerceEngines.filter((e) => e.name !== 'postgres' || e.available))(
  'stock reports for long ids ($name)',
  (engine) => {
    let bed: CommerceTestbed | undefined;
    let server: http.Server | undefined;
    afterEach(async () => {
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await bed?.close();
      bed = server = undefined;
    });

    it("are accepted into the pair's own stream; a neighbour creator's report stays in its own", async () => {
      bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
      const service: Authorization = {
        userId: 'svc-warehouse',
        tenantIds: [LONG_CREATOR, 'creator'],
        roles: ['service'],
      };
      const routes = syncReportRoutes({
        store: bed.store,
        audit: bed.commerce.accessAudit,
        authorize: () => service,
      });
      server = http.createServer(nodeAdapter(createRouter(routes), { logger: silentLogger }));
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const report = async (creatorId: string, productId: string) =>
        (
          await fetch(`${base}/api/conflicts/reports/stock`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ creatorId, productId, quantity: 5, source: 'shipping_provider' }),
          })
        ).status;
      expect(await report(LONG_CREATOR, LONG_PRODUCT)).toBe(202);
      const long = await bed.store.readStream(inventoryStream(LONG_CREATOR, LONG_PRODUCT));
      expect(long.events.map((e) => e.data)).toMatchObject([
        { creatorId: LONG_CREATOR, productId: LONG_PRODUCT },
      ]);
      // Creator "creator", product "1-p1": not creator-1's product p1.
      expect(await report('creator', '1-p1')).toBe(202);
      expect((await bed.store.readStream(inventoryStream('creator-1', 'p1'))).events).toEqual([]);
      expect((await bed.store.readStream(inventoryStream('creator', '1-p1'))).events).toHaveLength(1);
    });
  },
);
