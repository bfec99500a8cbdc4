/**
 * The mock TikTok Shop Open API answers the library's own HTTP client, and
 * refuses unsigned calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTikTokShopHttpClient } from '../../src/commerce/index.js';
import { tikTokShopClientFromHttp } from '../../src/commerce/index.js';
import { DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import { FakeShop } from '../../examples/simulator/fake-shop.js';
import { serveOpenApi } from '../../examples/simulator/open-api.js';
import { seededRandom } from '../../examples/simulator/random.js';
import type { Server } from 'node:http';

describe('mock TikTok Shop Open API', () => {
  const shop = new FakeShop(seededRandom(5), { rate: 10 });
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const t0 = Date.now();
    shop.tick(t0);
    shop.tick(t0 + 1000);
    ({ server, url } = await serveOpenApi(shop, DEMO_CREDENTIALS.appSecret, 0));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () =>
    createTikTokShopHttpClient({
      appKey: DEMO_CREDENTIALS.appKey,
      appSecret: DEMO_CREDENTIALS.appSecret,
      accessToken: 't',
      baseUrl: url,
      retry: { attempts: 1 },
    });

  it('serves order details the commerce port can read', async () => {
    const order = [...shop.orders.values()][0]!;
    const port = tikTokShopClientFromHttp({ clientFor: () => client() });
    const detail = await port.getOrder({ shopId: DEMO_CREDENTIALS.shopId, orderId: order.id });
    expect(detail.orderId).toBe(order.id);
    expect(detail.totalAmount).toBeCloseTo(order.total, 2);
    expect(detail.lines.reduce((n, l) => n + l.quantity, 0)).toBe(order.quantity);
    await expect(
      port.updateShipping({
        shopId: DEMO_CREDENTIALS.shopId,
        orderId: order.id,
        trackingNumber: order.trackingNumber,
        carrier: 'UPS',
        provider: 'shippo',
        idempotencyKey: 'k1',
      }),
    ).resolves.toBeUndefined();
  });

  it('refuses a request with a wrong signature', async () => {
    const res = await fetch(`${url}/order/202309/orders?ids=1&app_key=k&timestamp=1&sign=${'0'.repeat(64)}`);
    expect(res.status).toBe(401);
  });
});
