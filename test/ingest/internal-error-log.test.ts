/**
 * A 500 hides its error from the client (`INTERNAL_ERROR`, no detail): the
 * receivers and adapters log it instead, so an operator can tell what it was.
 * Typed answers (a 503 with Retry-After, a 4xx) are the sender's business and
 * log nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { tikTokReceiver } from '../../src/commerce/ingest/commerce-ingest-handler.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { fastifyAdapter } from '../../src/http/fastify.js';
import { nodeAdapter } from '../../src/http/node.js';
import type { HttpHandler } from '../../src/http/types.js';
import { unlimitedRateLimiter } from '../../src/ingest/rate-limiter.js';
import type { EventStore } from '../../src/store/types.js';
import {
  APP_KEY,
  APP_SECRET,
  NOW_MS,
  json,
  shippingHandlerOn,
  tiktokHandlerOn,
  shippingRequest,
  tiktokEnvelope,
  tiktokRequest,
  trackingBody,
} from './support.js';

/** A logger recording its `error` records. */
function recordingLogger(): Logger & { errors: Record<string, unknown>[] } {
  const errors: Record<string, unknown>[] = [];
  const none = () => undefined;
  return {
    errors,
    error: (obj: object | string, msg?: string) => {
      errors.push(typeof obj === 'string' ? { msg: obj } : { ...obj, msg });
    },
    warn: none,
    info: none,
    debug: none,
  };
}

/** A store whose every append fails with `err`. */
const failingStore = (err: unknown): Pick<EventStore, 'append'> => ({
  append: () => Promise.reject(err),
});

const tiktok = tiktokHandlerOn;
const shipping = shippingHandlerOn;

describe('receivers log what they answer with 500', () => {
  it.each([
    ['tiktok', tiktok, () => tiktokRequest(tiktokEnvelope()), 'webhook:tiktok', '/api/webhooks/tiktok'],
    [
      'shipping',
      shipping,
      () => shippingRequest(trackingBody('in_transit')),
      'webhook:shipping',
      '/api/webhooks/shipping/shippo',
    ],
  ] as const)(
    '%s: the hidden error, with the request path',
    async (_name, make, request, component, path) => {
      const logger = recordingLogger();
      const bug = new Error('the hidden cause');
      const res = await make(failingStore(bug), logger)(request());
      expect(res.status).toBe(500);
      expect(json(res)).toMatchObject({ code: 'INTERNAL_ERROR' });
      expect(JSON.stringify(json(res))).not.toContain('hidden cause');
      expect(logger.errors).toEqual([
        { component, method: 'POST', path, err: bug, msg: 'request answered 500' },
      ]);
    },
  );

  it('a typed retryable answer logs nothing', async () => {
    const logger = recordingLogger();
    const res = await tiktok(
      failingStore(new StoreUnavailableError('down', undefined)),
      logger,
    )(tiktokRequest(tiktokEnvelope()));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(logger.errors).toEqual([]);
  });

  it("an engine's receiver logs through the engine's logger", async () => {
    const logger = recordingLogger();
    const handler = tikTokReceiver({ appKey: APP_KEY, appSecret: APP_SECRET, now: () => NOW_MS }).create({
      store: failingStore(new Error('boom')),
      rateLimiter: unlimitedRateLimiter,
      logger,
    });
    expect((await handler(tiktokRequest(tiktokEnvelope()))).status).toBe(500);
    expect(logger.errors).toHaveLength(1);
  });
});

describe('adapters log a handler that throws', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const bug = new Error('thrown past the handler');
  const throwing: HttpHandler = () => Promise.reject(bug);

  it('node', async () => {
    const logger = recordingLogger();
    const server = http.createServer(nodeAdapter(throwing, { logger }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/hook?token=secret`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    expect(logger.errors).toEqual([
      { component: 'http:node', method: 'POST', path: '/hook', err: bug, msg: 'request answered 500' },
    ]);
  });

  it('fastify', async () => {
    const logger = recordingLogger();
    const app = Fastify();
    await app.register(fastifyAdapter(throwing, { url: '/hook', logger }));
    closers.push(() => app.close());
    const res = await app.inject({ method: 'POST', url: '/hook?token=secret', payload: '{}' });
    expect(res.statusCode).toBe(500);
    expect(logger.errors).toEqual([
      { component: 'http:fastify', method: 'POST', path: '/hook', err: bug, msg: 'request answered 500' },
    ]);
  });
});
