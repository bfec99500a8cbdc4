import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../src/core/errors.js';
import {
  ConnectionLimiter,
  type ConnectionLimiterPort,
  type ReleaseSlot,
} from '../../src/realtime/connection-limiter.js';
import type { Envelope } from '../../src/core/envelope.js';
import { TooManyConnectionsError } from '../../src/realtime/errors.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { harness, tick } from './support.js';

/** An in-memory limit that answers asynchronously, as a shared (Redis) limiter does. */
class AsyncLimiter implements ConnectionLimiterPort {
  readonly inner = new ConnectionLimiter(2, 7);
  degraded = false;
  failWith: unknown = null;
  #held: (() => void)[] = [];
  holding = false;

  acquire(userId: string): Promise<ReleaseSlot> {
    return new Promise((resolve, reject) => {
      const answer = () => {
        if (this.failWith) return reject(this.failWith);
        try {
          resolve(this.inner.acquire(userId));
        } catch (err) {
          reject(err);
        }
      };
      if (this.holding) this.#held.push(answer);
      else queueMicrotask(answer);
    });
  }

  answer(): void {
    for (const a of this.#held.splice(0)) a();
  }
}

const alice = { userId: 'alice', tenantIds: ['c1'] };
const request = { channel: 'inventory_alerts' };

function open(hub: ReturnType<typeof harness>['hub']) {
  const received: Envelope[] = [];
  const closed: (SyncError | undefined)[] = [];
  const handle = hub.subscribe(request, alice, {
    write: (e) => received.push(e) > 0,
    close: (error) => closed.push(error),
  });
  return { received, closed, handle };
}

describe('a connection limiter port that answers asynchronously', () => {
  it('refuses past its limit through sink.close, before any message', async () => {
    const limiter = new AsyncLimiter();
    const { hub } = harness({ connectionLimiter: limiter, maxConnectionsPerUser: 100 });
    const a = open(hub);
    const b = open(hub);
    const c = open(hub);
    await tick();
    expect(a.received.map((e) => e.type)).toEqual(['reset', 'ready']);
    expect(b.received.map((e) => e.type)).toEqual(['reset', 'ready']);
    expect(c.received).toEqual([]);
    expect(c.closed[0]).toBeInstanceOf(TooManyConnectionsError);
    expect((c.closed[0] as TooManyConnectionsError).retryAfterSeconds).toBe(7);
    expect(hub.stats().subscriptions).toBe(2);
    a.handle.close();
    expect(limiter.inner.count('alice')).toBe(1);
  });

  it('gives the slot back when the connection closed while the limiter was deciding', async () => {
    const limiter = new AsyncLimiter();
    limiter.holding = true;
    const { hub } = harness({ connectionLimiter: limiter });
    const a = open(hub);
    a.handle.close();
    limiter.answer();
    await tick();
    expect(limiter.inner.count('alice')).toBe(0);
    expect(a.received).toEqual([]);
    expect(hub.stats().subscriptions).toBe(0);
  });

  it('answers 503 REALTIME_UNAVAILABLE and reports the error when the limiter fails', async () => {
    const limiter = new AsyncLimiter();
    limiter.failWith = new Error('limiter broke');
    const { hub } = harness({ connectionLimiter: limiter });
    const errors: unknown[] = [];
    hub.events.on('error', (err) => errors.push(err));
    const a = open(hub);
    await tick();
    expect(a.closed[0]?.code).toBe('REALTIME_UNAVAILABLE');
    expect(errors).toEqual([limiter.failWith]);
    expect(hub.stats().subscriptions).toBe(0);
  });

  it('shows a degraded limiter in the hub stats', () => {
    const limiter = new AsyncLimiter();
    const { hub } = harness({ connectionLimiter: limiter });
    expect(hub.stats().limiterDegraded).toBe(false);
    limiter.degraded = true;
    expect(hub.stats().limiterDegraded).toBe(true);
  });

  it('over SSE a refusal is an HTTP 429 with Retry-After', async () => {
    const { hub } = harness({ connectionLimiter: new AsyncLimiter() });
    const sse = createSseHandler(hub, { authorize: () => alice });
    const server = createServer((req, res) => void sse(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/?channel=inventory_alerts`;
    try {
      const open2 = [await fetch(url), await fetch(url)];
      const refused = await fetch(url);
      expect(open2.map((r) => r.status)).toEqual([200, 200]);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('7');
      expect(((await refused.json()) as { code: string }).code).toBe('TOO_MANY_CONNECTIONS');
      for (const r of open2) await r.body!.cancel();
    } finally {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
