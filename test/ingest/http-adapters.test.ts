import type { AddressInfo } from 'node:net';
import http from 'node:http';
import net from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderStream } from '../../src/commerce/inventory/streams.js';
import { expressAdapter } from '../../src/http/express.js';
import { fastifyAdapter } from '../../src/http/fastify.js';
import { nodeAdapter } from '../../src/http/node.js';
import type { HttpHandler } from '../../src/http/types.js';
import {
  COMMERCE_WEBHOOK_PATHS,
  createCommerceIngestHandler,
} from '../../src/commerce/ingest/commerce-ingest-handler.js';
import { unlimitedRateLimiter } from '../../src/ingest/rate-limiter.js';
import type { EventStore } from '../../src/store/types.js';
import {
  APP_KEY,
  APP_SECRET,
  CREATOR,
  NOW_MS,
  SHIPPO_API_KEY,
  SHIPPO_SECRET,
  allEvents,
  SHOP_ID,
  memoryStore,
  seedOrder,
  shippingRequest,
  tiktokEnvelope,
  tiktokRequest,
  trackingBody,
} from './support.js';

function ingest(store: EventStore): HttpHandler {
  return createCommerceIngestHandler({
    tiktok: {
      store,
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      rateLimiter: unlimitedRateLimiter,
      now: () => NOW_MS,
    },
    shipping: {
      store,
      providers: { shippo: { apiKey: SHIPPO_API_KEY, secrets: SHIPPO_SECRET, creators: [CREATOR] } },
      rateLimiter: unlimitedRateLimiter,
      now: () => NOW_MS,
    },
  });
}

async function post(
  base: string,
  req: ReturnType<typeof tiktokRequest>,
  extraHeaders: Record<string, string> = {},
) {
  const headers: Record<string, string> = { ...extraHeaders };
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const res = await fetch(base + req.path, { method: 'POST', headers, body: new Uint8Array(req.rawBody) });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

interface Host {
  name: string;
  start(store: EventStore): Promise<{ base: string; close(): Promise<void> }>;
  /** The same host with no `maxBodyBytes` on the adapter: only the receivers' limit. */
  startWithoutLimit(store: EventStore): Promise<{ base: string; close(): Promise<void> }>;
}

/** Host factories, given the adapter's limit (undefined: none). */
const express1 = (store: EventStore, limit?: number) => {
  const app = express();
  app.use(expressAdapter(ingest(store), limit === undefined ? {} : { maxBodyBytes: limit }));
  return listen(http.createServer(app));
};
const express2 = (store: EventStore, limit?: number) => {
  const app = express();
  const handler = ingest(store);
  const options = limit === undefined ? {} : { maxBodyBytes: limit };
  app.post(COMMERCE_WEBHOOK_PATHS.tiktok, expressAdapter(handler, options));
  app.post(COMMERCE_WEBHOOK_PATHS.shipping, expressAdapter(handler, options));
  return listen(http.createServer(app));
};
const fastify = async (store: EventStore, limit?: number) => {
  const app = Fastify();
  // A host JSON route outside the plugin keeps Fastify's own parser.
  app.post('/other', async (request) => ({ echoed: request.body }));
  await app.register(
    fastifyAdapter(ingest(store), {
      url: [COMMERCE_WEBHOOK_PATHS.tiktok, COMMERCE_WEBHOOK_PATHS.shipping],
      ...(limit === undefined ? {} : { maxBodyBytes: limit }),
    }),
  );
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { base: address, close: () => app.close() };
};
const node = (store: EventStore, limit?: number) =>
  listen(http.createServer(nodeAdapter(ingest(store), limit === undefined ? {} : { maxBodyBytes: limit })));

function listen(server: http.Server): Promise<{ base: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

const hosts: Host[] = [
  ['express (catch-all router)', express1],
  ['express (per-route, params from express)', express2],
  ['fastify', fastify],
  ['node http', node],
].map(([name, make]) => {
  const start = make as (store: EventStore, limit?: number) => ReturnType<Host['start']>;
  return {
    name: name as string,
    start: (store: EventStore) => start(store, 64 * 1024),
    startWithoutLimit: (store: EventStore) => start(store),
  };
});

/** A fresh memory store served by a host for the tests of one describe block. */
function serving(start: Host['start']): {
  store: EventStore;
  server: { base: string; close(): Promise<void> };
} {
  const ctx = {} as ReturnType<typeof serving>;
  beforeAll(async () => {
    ctx.store = await memoryStore();
    ctx.server = await start(ctx.store);
  });
  afterAll(async () => {
    await ctx.server.close();
    await ctx.store.close();
  });
  return ctx;
}

describe.each(hosts)('$name', (host) => {
  const ctx = serving(host.start);

  it('accepts a signed TikTok webhook whose raw bytes differ from a re-serialisation', async () => {
    const envelope = tiktokEnvelope({
      data: { order_id: 'o-http', order_status: 'AWAITING_SHIPMENT', update_time: 1 },
    });
    (envelope.data as Record<string, unknown>).update_time = Math.floor(NOW_MS / 1000);
    const raw = Buffer.from(`  ${JSON.stringify(envelope, null, 3)}\n`);
    const res = await post(ctx.server.base, tiktokRequest(raw));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'accepted', events: 3 });
    expect((await ctx.store.readStream(orderStream(SHOP_ID, 'o-http'))).events).toHaveLength(3);
  });

  it('passes the provider route parameter to the shipping receiver', async () => {
    await seedOrder(ctx.store, 'o-ship-http');
    const res = await post(
      ctx.server.base,
      shippingRequest(trackingBody('delivered', { order_id: 'o-ship-http' })),
    );
    expect(res.status).toBe(200);
    expect(
      (await ctx.store.readStream(orderStream(CREATOR, 'o-ship-http'))).events.map((e) => e.type),
    ).toEqual(['order.validated', 'order.delivered']);
  });

  it('answers an oversized body with a 413 problem and writes nothing', async () => {
    const before = (await allEvents(ctx.store)).length;
    const res = await post(
      ctx.server.base,
      tiktokRequest({ ...tiktokEnvelope(), pad: 'x'.repeat(100 * 1024) }),
    );
    expect(res.status).toBe(413);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await allEvents(ctx.store)).length).toBe(before);
  });

  it('answers a body without content type, and a bad signature, with problems', async () => {
    const req = tiktokRequest(tiktokEnvelope(), { authorization: 'f'.repeat(64) });
    delete req.headers['content-type'];
    const res = await post(ctx.server.base, req);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('SIGNATURE_INVALID');
  });
});

describe('express with a JSON parser in front', () => {
  it('refuses to verify a body it can no longer see as raw bytes', async () => {
    const store = await memoryStore();
    const app = express();
    app.use(express.json());
    app.use(expressAdapter(ingest(store)));
    const server = await listen(http.createServer(app));
    try {
      const res = await post(server.base, tiktokRequest(tiktokEnvelope()));
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('RAW_BODY_UNAVAILABLE');
      expect(await allEvents(store)).toHaveLength(0);
    } finally {
      await server.close();
      await store.close();
    }
  });

  it('works behind express.raw()', async () => {
    const store = await memoryStore();
    const app = express();
    app.use(express.raw({ type: '*/*' }));
    app.use(expressAdapter(ingest(store)));
    const server = await listen(http.createServer(app));
    try {
      const res = await post(server.base, tiktokRequest(tiktokEnvelope()));
      expect(res.status).toBe(200);
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('fastify encapsulation', () => {
  it('keeps the host JSON parser for routes outside the plugin', async () => {
    const store = await memoryStore();
    const app = Fastify();
    app.post('/other', async (request) => ({ echoed: request.body }));
    await app.register(fastifyAdapter(ingest(store), { url: COMMERCE_WEBHOOK_PATHS.tiktok }));
    try {
      const res = await app.inject({ method: 'POST', url: '/other', payload: { a: 1 } });
      expect(res.json()).toEqual({ echoed: { a: 1 } });
    } finally {
      await app.close();
      await store.close();
    }
  });
});

/**
 * Starts a body of `bytes` and never finishes it — `chunked`: sends all of it
 * in chunks without the last one; `declared`: declares it in Content-Length
 * and sends 1 KiB — then resolves with the response head as soon as one
 * arrives. A server that waits for the whole body never answers (the bound
 * fails the test).
 */
function answerWhileSending(
  base: string,
  path: string,
  bytes: number,
  mode: 'chunked' | 'declared',
): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      const framing = mode === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${bytes}`;
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`,
      );
      if (mode === 'declared') return void socket.write(Buffer.alloc(1024, 'x'));
      const chunk = Buffer.alloc(16 * 1024, 'x');
      for (let sent = 0; sent < bytes; sent += chunk.length) {
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n');
      }
    });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer while the body was still being sent'));
    }, 10_000);
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(text.slice(0, end));
    });
    // The server may close its side after answering; what was answered counts.
    socket.on('error', () => undefined);
  });
}

describe.each(hosts)('$name without an adapter limit', (host) => {
  const ctx = serving(host.startWithoutLimit);

  it.each([
    [COMMERCE_WEBHOOK_PATHS.tiktok, 'chunked'],
    ['/api/webhooks/shipping/shippo', 'chunked'],
    [COMMERCE_WEBHOOK_PATHS.tiktok, 'declared'],
    ['/api/webhooks/shipping/shippo', 'declared'],
  ] as const)(
    "stops reading at the receiver's limit (256 KiB) and answers 413 at once: %s, %s body",
    async (path, mode) => {
      const head = await answerWhileSending(ctx.server.base, path, 300 * 1024, mode);
      expect(head).toMatch(/^HTTP\/1\.1 413 /);
      expect(head.toLowerCase()).toContain('application/problem+json');
      expect(await allEvents(ctx.store)).toHaveLength(0);
    },
  );
});
