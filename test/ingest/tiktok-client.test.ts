import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TikTokApiError } from '../../src/commerce/ingest/tiktok/api-error.js';
import { signTikTokRequest } from '../../src/commerce/ingest/tiktok/request-signature.js';
import { createTikTokShopHttpClient, retryAfterToMs } from '../../src/commerce/ingest/tiktok/shop-client.js';
import { ValidationError } from '../../src/core/errors.js';
import type { EventStore } from '../../src/store/types.js';
import { allEvents, memoryStore } from './support.js';

const APP_KEY = 'client-app-key';
const APP_SECRET = 'client-app-secret';
const TOKEN = 'TTP_access_token_1';

/** The fake TikTok Shop: checks every request's signature from the published recipe. */
interface Scripted {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer only after this long (a timeout after the request was sent). */
  delayMs?: number;
}
interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
  signatureOk: boolean;
  token: string | undefined;
}

function expectedSign(path: string, query: Record<string, string>, body: string): string {
  const keys = Object.keys(query)
    .filter((k) => k !== 'sign' && k !== 'access_token')
    .sort();
  const input = APP_SECRET + path + keys.map((k) => k + query[k]).join('') + body + APP_SECRET;
  return createHmac('sha256', APP_SECRET).update(input).digest('hex');
}

let server: http.Server;
let baseUrl: string;
let script: Scripted[] = [];
let seen: Seen[] = [];
let store: EventStore;
let sleeps: number[] = [];
/** Tokens the fake accepts. */
let validTokens = new Set([TOKEN]);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = Object.fromEntries(url.searchParams);
      const body = Buffer.concat(chunks).toString();
      const nowS = Math.floor(Date.now() / 1000);
      const signatureOk =
        query.sign === expectedSign(url.pathname, query, body) &&
        query.app_key === APP_KEY &&
        /^\d{10}$/.test(query.timestamp ?? '') &&
        Math.abs(Number(query.timestamp) - nowS) < 300;
      const token = req.headers['x-tts-access-token'] as string | undefined;
      seen.push({ method: req.method ?? '', path: url.pathname, query, body, signatureOk, token });
      if (!signatureOk || token === undefined || !validTokens.has(token)) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 106001, message: 'Invalid signature', request_id: 'r-bad' }));
        return;
      }
      const next = script.shift() ?? {
        status: 200,
        body: { code: 0, message: 'Success', data: { ok: true } },
      };
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end(next.body === undefined ? '' : JSON.stringify(next.body));
      }, next.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(async () => {
  script = [];
  seen = [];
  sleeps = [];
  validTokens = new Set([TOKEN]);
  store = await memoryStore();
});

function client(extra: Partial<Parameters<typeof createTikTokShopHttpClient>[0]> = {}) {
  return createTikTokShopHttpClient({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    accessToken: TOKEN,
    shopCipher: 'ROW_cipher',
    shopId: 'shop-1',
    baseUrl,
    store,
    sleep: async (ms) => void sleeps.push(ms),
    ...extra,
    retry: { minTimeoutMs: 1, ...extra.retry },
  });
}

describe('TikTok Shop request signature', () => {
  it('does not depend on query order and ignores sign and access_token', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z_]{1,10}$/), fc.string({ maxLength: 10 })),
        fc.string({ maxLength: 40 }),
        (query, body) => {
          const reversed = Object.fromEntries(Object.entries(query).reverse());
          const sign = signTikTokRequest({ appSecret: APP_SECRET, path: '/p', query, body });
          expect(signTikTokRequest({ appSecret: APP_SECRET, path: '/p', query: reversed, body })).toBe(sign);
          expect(
            signTikTokRequest({
              appSecret: APP_SECRET,
              path: '/p',
              query: { ...query, sign: 'x', access_token: 'y' },
              body,
            }),
          ).toBe(sign);
          expect(sign).toBe(expectedSign('/p', query, body));
        },
      ),
    );
  });

  it('matches a vector computed with openssl', () => {
    // printf 'secret/order/202309/ordersapp_keykidsaa1timestamp1700000000{"a":1}secret' | openssl dgst -sha256 -hmac secret
    expect(
      signTikTokRequest({
        appSecret: 'secret',
        path: '/order/202309/orders',
        query: { timestamp: '1700000000', ids: 'aa1', app_key: 'k' },
        body: '{"a":1}',
      }),
    ).toBe('1d51aca59cf5b10221133e5bb19251e3d1670c9f3eadfcf26b722dcb1144f635');
  });
});

describe('TikTok Shop client against a fake server', () => {
  it('signs GET calls with query parameters and returns data', async () => {
    script = [
      {
        status: 200,
        body: { code: 0, message: 'Success', data: { orders: [{ id: '576', status: 'AWAITING_SHIPMENT' }] } },
      },
    ];
    const data = await client().getOrderDetail(['576', '577']);
    expect(data).toEqual({ orders: [{ id: '576', status: 'AWAITING_SHIPMENT' }] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'GET',
      path: '/order/202309/orders',
      signatureOk: true,
      token: TOKEN,
    });
    expect(seen[0]!.query).toMatchObject({ ids: '576,577', shop_cipher: 'ROW_cipher' });
    expect(seen[0]!.query.access_token).toBeUndefined();
  });

  it('signs the JSON body of POST calls', async () => {
    await client().updateShippingInfo('576', { trackingNumber: '1Z', shippingProviderId: '6617' });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: '/fulfillment/202309/orders/576/shipping_info/update',
      signatureOk: true,
    });
    expect(JSON.parse(seen[0]!.body)).toEqual({ tracking_number: '1Z', shipping_provider_id: '6617' });
  });

  it('honours Retry-After on 429 and records tiktok.rate_limit_hit', async () => {
    script = [
      {
        status: 429,
        headers: { 'retry-after': '2' },
        body: { code: 36009004, message: 'Too many requests' },
      },
    ];
    const data = await client().shipPackage('pk-1');
    expect(data).toEqual({ ok: true });
    expect(sleeps).toEqual([2000]);
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.signatureOk)).toBe(true);
    const events = await allEvents(store);
    expect(events.map((e) => e.type)).toEqual(['tiktok.rate_limit_hit']);
    expect(events[0]!.data).toMatchObject({
      retryAfterMs: 2000,
      attempt: 1,
      shopId: 'shop-1',
      method: 'POST',
    });
    expect(events[0]!.aggregateId).toBe('tiktok-api-shop-1');
  });

  it('retries a GET after 5xx and records tiktok.api_error', async () => {
    script = [{ status: 503, body: { code: 1, message: 'busy' } }, { status: 502 }];
    await client().getOrderDetail(['1']);
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([]);
    const events = await allEvents(store);
    expect(
      events.map((e) => [
        e.type,
        (e.data as { status: number }).status,
        (e.data as { willRetry: boolean }).willRetry,
      ]),
    ).toEqual([
      ['tiktok.api_error', 503, true],
      ['tiktok.api_error', 502, true],
    ]);
  });

  it('gives up after the retry policy attempts with a TikTokApiError', async () => {
    script = Array.from({ length: 5 }, () => ({
      status: 500,
      body: { code: 2, message: 'down', request_id: 'r-1' },
    }));
    const call = client({ retry: { attempts: 3 } }).getOrderDetail(['1']);
    await expect(call).rejects.toMatchObject({ code: 'TIKTOK_API_ERROR', httpStatus: 500, requestId: 'r-1' });
    expect(seen).toHaveLength(3);
    const willRetry = (await allEvents(store)).map((e) => (e.data as { willRetry: boolean }).willRetry);
    expect(willRetry).toEqual([true, true, false]);
  });

  it('still takes the deprecated maxRetries / baseDelayMs / maxDelayMs, under retry', async () => {
    const down = () => Array.from({ length: 5 }, () => ({ status: 500, body: { code: 2, message: 'down' } }));
    const legacy = (extra: Partial<Parameters<typeof createTikTokShopHttpClient>[0]>) =>
      createTikTokShopHttpClient({
        appKey: APP_KEY,
        appSecret: APP_SECRET,
        accessToken: TOKEN,
        baseUrl,
        baseDelayMs: 1,
        sleep: async (ms) => void sleeps.push(ms),
        ...extra,
      });
    script = down();
    await expect(legacy({ maxRetries: 1 }).getOrderDetail(['1'])).rejects.toMatchObject({ httpStatus: 500 });
    expect(seen).toHaveLength(2); // maxRetries 1 = attempts 2
    seen.length = 0;
    script = down();
    const both = legacy({ maxRetries: 4, retry: { attempts: 2 } }).getOrderDetail(['1']);
    await expect(both).rejects.toMatchObject({ httpStatus: 500 });
    expect(seen).toHaveLength(2); // retry wins over the alias
    // maxDelayMs is still the longest Retry-After waited out.
    script = [{ status: 429, headers: { 'retry-after': '5' } }];
    await expect(legacy({ maxDelayMs: 1_000 }).getOrderDetail(['1'])).rejects.toMatchObject({
      code: 'TIKTOK_RATE_LIMITED',
    });
    expect(sleeps).toEqual([]);
  });

  it('refuses a bad retry policy', () => {
    expect(() => client({ retry: { attempts: 0 } })).toThrow(ValidationError);
  });

  it('does not retry a business error (HTTP 200 with a non-zero code)', async () => {
    script = [{ status: 200, body: { code: 21011001, message: 'order not found', request_id: 'r-2' } }];
    const call = client().getOrderDetail(['404']);
    await expect(call).rejects.toBeInstanceOf(TikTokApiError);
    expect(seen).toHaveLength(1);
    const [event] = await allEvents(store);
    expect(event!.data).toMatchObject({ tiktokCode: 21011001, willRetry: false, status: 200 });
  });

  it('fails at once when Retry-After is longer than it may wait', async () => {
    script = [{ status: 429, headers: { 'retry-after': '120' } }];
    await expect(client({ retry: { maxTimeoutMs: 30_000 } }).getOrderDetail(['1'])).rejects.toMatchObject({
      code: 'TIKTOK_RATE_LIMITED',
    });
    expect(sleeps).toEqual([]);
  });

  it('is rejected by the server when signed with the wrong secret (the fake really checks)', async () => {
    const call = client({ appSecret: 'wrong-secret' }).getOrderDetail(['1']);
    await expect(call).rejects.toMatchObject({
      code: 'TIKTOK_API_ERROR',
      httpStatus: 401,
      tiktokCode: 106001,
    });
  });

  it('retries network errors and reports them', async () => {
    const dead = createTikTokShopHttpClient({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      accessToken: () => Promise.resolve(TOKEN),
      baseUrl: 'http://127.0.0.1:9',
      store,
      retry: { attempts: 2, minTimeoutMs: 1 },
      sleep: async (ms) => void sleeps.push(ms),
    });
    await expect(dead.getOrderDetail(['1'])).rejects.toMatchObject({
      code: 'TIKTOK_NETWORK_ERROR',
      httpStatus: null,
    });
    const events = await allEvents(store);
    expect(events.map((e) => (e.data as { status: unknown }).status)).toEqual([null, null]);
  });
});

describe('TikTok Shop client: what is sent again', () => {
  it('never sends a POST again after a 5xx: TikTok may have acted on it', async () => {
    script = [{ status: 500, body: { code: 2, message: 'internal' } }];
    const call = client().shipPackage('pk-5xx');
    await expect(call).rejects.toMatchObject({
      code: 'TIKTOK_API_ERROR',
      httpStatus: 500,
      outcomeUnknown: true,
    });
    expect(seen).toHaveLength(1);
    const [event] = await allEvents(store);
    expect(event!.data).toMatchObject({ status: 500, willRetry: false, method: 'POST' });
  });

  it('never sends a POST again after a timeout once it was sent', async () => {
    script = [{ status: 200, body: { code: 0, data: {} }, delayMs: 2000 }];
    const call = client({ timeoutMs: 200 }).shipPackage('pk-timeout');
    await expect(call).rejects.toMatchObject({ code: 'TIKTOK_NETWORK_ERROR', outcomeUnknown: true });
    expect(seen).toHaveLength(1);
  });

  it('sends a POST again when the connection was refused (it never left)', async () => {
    // A port that was free a moment ago: the connection is refused.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const dead = client({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 3 } });
    await expect(dead.shipPackage('pk-refused')).rejects.toMatchObject({
      code: 'TIKTOK_NETWORK_ERROR',
      outcomeUnknown: false,
    });
    expect((await allEvents(store)).map((e) => (e.data as { willRetry: boolean }).willRetry)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('sends a request marked idempotent again after a 5xx (updateShippingInfo sets a value)', async () => {
    script = [{ status: 503 }];
    await client().updateShippingInfo('576', { trackingNumber: '1Z', shippingProviderId: '6617' });
    expect(seen).toHaveLength(2);
  });
});

describe('TikTok Shop client: expired access token', () => {
  const expired = { status: 200, body: { code: 105002, message: 'Access token is expired' } };

  it('renews it once through the host hook and sends the request again', async () => {
    script = [expired];
    const refreshed: string[] = [];
    const api = client({
      refreshAccessToken: async (old) => {
        refreshed.push(old);
        validTokens.add('TTP_access_token_2');
        return 'TTP_access_token_2';
      },
    });
    // A POST too: an expired token is refused before TikTok acts.
    expect(await api.shipPackage('pk-1')).toEqual({ ok: true });
    expect(refreshed).toEqual([TOKEN]);
    expect(seen.map((r) => r.token)).toEqual([TOKEN, 'TTP_access_token_2']);
    // Later calls use the renewed token.
    await api.getOrderDetail(['1']);
    expect(seen.at(-1)!.token).toBe('TTP_access_token_2');
  });

  it('renews once for every concurrent call that saw it expire (single flight)', async () => {
    script = [expired, expired, expired];
    let refreshes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const api = client({
      refreshAccessToken: async () => {
        refreshes++;
        await gate;
        validTokens.add('TTP_access_token_3');
        return 'TTP_access_token_3';
      },
    });
    const calls = Promise.all([1, 2, 3].map((i) => api.getOrderDetail([String(i)])));
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(3);
    release();
    expect(await calls).toHaveLength(3);
    expect(refreshes).toBe(1);
    expect(seen.filter((r) => r.token === 'TTP_access_token_3')).toHaveLength(3);
  });

  it('fails with TIKTOK_TOKEN_EXPIRED when the renewed token is refused too, or there is no hook', async () => {
    script = [expired, expired];
    let refreshes = 0;
    const api = client({
      refreshAccessToken: async () => {
        refreshes++;
        return TOKEN;
      },
    });
    await expect(api.getOrderDetail(['1'])).rejects.toMatchObject({
      code: 'TIKTOK_TOKEN_EXPIRED',
      tiktokCode: 105002,
    });
    expect(refreshes).toBe(1);
    expect(seen).toHaveLength(2);

    script = [expired];
    await expect(client().getOrderDetail(['1'])).rejects.toMatchObject({ code: 'TIKTOK_TOKEN_EXPIRED' });
    expect(seen).toHaveLength(3);
  });
});

describe('retryAfterToMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterToMs('3', 0)).toBe(3000);
    expect(retryAfterToMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterToMs('soon', 0)).toBeUndefined();
    expect(retryAfterToMs(null, 0)).toBeUndefined();
  });
});
