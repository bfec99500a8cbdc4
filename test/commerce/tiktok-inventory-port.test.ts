/**
 * The TikTok port's stock read and write: over the real HTTP client (every
 * request signed, checked by a fake Open API from the published recipe; the
 * search retried after a 5xx, the write not — an absolute figure sent again
 * after a sale would undo it), and the in-process fake's behaviour.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TikTokApiError } from '../../src/commerce/ingest/tiktok/api-error.js';
import { createTikTokShopHttpClient } from '../../src/commerce/ingest/tiktok/shop-client.js';
import { ProviderRejectedError, ProviderUnavailableError } from '../../src/commerce/errors.js';
import { FakeTikTokShopClient } from '../../src/commerce/ports/fakes/fake-tiktok-shop-client.js';
import {
  tikTokShopClientFromHttp,
  type TikTokShopClient,
} from '../../src/commerce/ports/tiktok-shop-client.js';

const APP_KEY = 'port-app-key';
const APP_SECRET = 'port-app-secret';

interface Seen {
  method: string;
  path: string;
  body: string;
  signatureOk: boolean;
}

function expectedSign(path: string, query: Record<string, string>, body: string): string {
  const keys = Object.keys(query)
    .filter((k) => k !== 'sign' && k !== 'access_token')
    .sort();
  const input = APP_SECRET + path + keys.map((k) => k + query[k]).join('') + body + APP_SECRET;
  return createHmac('sha256', APP_SECRET).update(input).digest('hex');
}

let server: http.Server;
let seen: Seen[] = [];
let script: { status: number; body: unknown }[] = [];
let port: TikTokShopClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = Object.fromEntries(url.searchParams);
      const body = Buffer.concat(chunks).toString();
      const signatureOk =
        query.sign === expectedSign(url.pathname, query, body) &&
        query.app_key === APP_KEY &&
        query.shop_cipher === 'GCP_1' &&
        req.headers['x-tts-access-token'] === 'tok';
      seen.push({ method: req.method ?? '', path: url.pathname, body, signatureOk });
      const next = signatureOk
        ? (script.shift() ?? { status: 200, body: { code: 0, message: 'Success', data: {} } })
        : { status: 401, body: { code: 106001, message: 'Invalid signature' } };
      res.writeHead(next.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(next.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createTikTokShopHttpClient({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    accessToken: 'tok',
    shopCipher: 'GCP_1',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    retry: { attempts: 3, minTimeoutMs: 1, maxTimeoutMs: 5, jitter: false },
  });
  port = tikTokShopClientFromHttp({ clientFor: () => client });
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen = [];
  script = [];
});

const inventoryData = {
  inventory: [
    {
      product_id: 'p1',
      skus: [{ id: '1729', seller_sku: 'RED-M', total_available_quantity: 7, update_time: 1_764_000_000 }],
    },
  ],
};
const serverError = { status: 500, body: { code: 36009004, message: 'Internal error' } };

describe('TikTok port over the real HTTP client', () => {
  it('reads stock with a signed search, giving the SKU id updateInventory takes', async () => {
    script = [{ status: 200, body: { code: 0, message: 'Success', data: inventoryData } }];
    const stock = await port.getInventory!({ shopId: 's1', productIds: ['p1'] });
    expect(stock).toEqual([
      { productId: 'p1', sku: 'RED-M', skuId: '1729', quantity: 7, updateTime: 1_764_000_000 },
    ]);
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/product/202309/inventory/search',
        body: JSON.stringify({ product_ids: ['p1'] }),
        signatureOk: true,
      },
    ]);
  });

  it('updates a SKU with a signed POST of the absolute figure', async () => {
    await port.updateInventory!({ shopId: 's1', productId: 'p1', skuId: '1729', quantity: 12 });
    await port.updateInventory!({
      shopId: 's1',
      productId: 'p1',
      skuId: '1729',
      quantity: 3,
      warehouseId: 'w9',
    });
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/product/202309/products/p1/inventory/update',
        body: JSON.stringify({ skus: [{ id: '1729', inventory: [{ quantity: 12 }] }] }),
        signatureOk: true,
      },
      {
        method: 'POST',
        path: '/product/202309/products/p1/inventory/update',
        body: JSON.stringify({ skus: [{ id: '1729', inventory: [{ quantity: 3, warehouse_id: 'w9' }] }] }),
        signatureOk: true,
      },
    ]);
  });

  it('does not send the update again after a 5xx: the caller sees an unknown outcome', async () => {
    script = [serverError];
    const failure = await port.updateInventory!({
      shopId: 's1',
      productId: 'p1',
      skuId: '1729',
      quantity: 12,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TikTokApiError);
    expect(failure).toMatchObject({ code: 'TIKTOK_API_ERROR', httpStatus: 500, outcomeUnknown: true });
    expect(seen).toHaveLength(1);
  });

  it('sends the update again after a 429 (refused before acting), and the search after a 5xx', async () => {
    script = [{ status: 429, body: { code: 36009003, message: 'Too many requests' } }];
    await port.updateInventory!({ shopId: 's1', productId: 'p1', skuId: '1729', quantity: 12 });
    expect(seen.map((s) => s.path)).toEqual([
      '/product/202309/products/p1/inventory/update',
      '/product/202309/products/p1/inventory/update',
    ]);
    seen = [];
    script = [serverError, { status: 200, body: { code: 0, message: 'Success', data: inventoryData } }];
    expect(await port.getInventory!({ shopId: 's1' })).toHaveLength(1);
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.signatureOk)).toBe(true);
  });

  it('a refusal by TikTok (non-zero code) is final', async () => {
    script = [{ status: 200, body: { code: 12052230, message: 'SKU not found' } }];
    await expect(
      port.updateInventory!({ shopId: 's1', productId: 'p1', skuId: 'nope', quantity: 1 }),
    ).rejects.toMatchObject({ code: 'TIKTOK_API_ERROR', tiktokCode: 12052230 });
    expect(seen).toHaveLength(1);
  });
});

describe('FakeTikTokShopClient stock', () => {
  it('an update is what the next read answers, and is recorded', async () => {
    const tiktok = new FakeTikTokShopClient().setStock('p1', 'RED-M', 7);
    const [before] = await tiktok.getInventory({ shopId: 's1' });
    await tiktok.updateInventory({ shopId: 's1', productId: 'p1', skuId: before!.skuId!, quantity: 12 });
    expect(await tiktok.getInventory({ shopId: 's1' })).toMatchObject([
      { productId: 'p1', sku: 'RED-M', quantity: 12 },
    ]);
    expect(tiktok.inventoryWrites).toEqual([{ shopId: 's1', productId: 'p1', skuId: 'RED-M', quantity: 12 }]);
  });

  it('refuses an unknown SKU and an invalid figure, changing nothing', async () => {
    const tiktok = new FakeTikTokShopClient().setStock('p1', 'RED-M', 7);
    await expect(
      tiktok.updateInventory({ shopId: 's1', productId: 'p2', skuId: 'RED-M', quantity: 1 }),
    ).rejects.toBeInstanceOf(ProviderRejectedError);
    await expect(
      tiktok.updateInventory({ shopId: 's1', productId: 'p1', skuId: 'RED-M', quantity: -1 }),
    ).rejects.toBeInstanceOf(ProviderRejectedError);
    expect((await tiktok.getInventory({ shopId: 's1' }))[0]!.quantity).toBe(7);
    expect(tiktok.inventoryWrites).toEqual([]);
  });

  it('a transient failure does not act; a lost reply acts and still fails the call', async () => {
    const tiktok = new FakeTikTokShopClient().setStock('p1', 'RED-M', 7);
    tiktok.behaviour.failNext('updateInventory', 'transient');
    const write = { shopId: 's1', productId: 'p1', skuId: 'RED-M' };
    await expect(tiktok.updateInventory({ ...write, quantity: 9 })).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    expect((await tiktok.getInventory({ shopId: 's1' }))[0]!.quantity).toBe(7);
    tiktok.behaviour.failNext('updateInventory', 'lost_reply');
    await expect(tiktok.updateInventory({ ...write, quantity: 9 })).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    expect((await tiktok.getInventory({ shopId: 's1' }))[0]!.quantity).toBe(9);
  });
});
