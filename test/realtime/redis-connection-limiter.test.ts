import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type RedisConnectionLimiter,
  type RedisScriptClient,
  createRedisConnectionLimiter,
} from '../../src/adapters/redis-connection-limiter.js';
import type { SyncError } from '../../src/core/errors.js';
import type { Envelope } from '../../src/core/envelope.js';
import { TooManyConnectionsError } from '../../src/realtime/errors.js';
import { redisUrl } from '../support/databases.js';
import { harness } from './support.js';

/** Resolves when `check()` holds (polling); the test's own timeout bounds it. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

const prefixFor = () => `cf_test_conn_${Math.random().toString(36).slice(2)}:`;
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function limiterOn(
  redis: RedisScriptClient,
  prefix: string,
  extra: Partial<Parameters<typeof createRedisConnectionLimiter>[0]> = {},
) {
  const limiter = createRedisConnectionLimiter({
    redis,
    prefix,
    maxConnectionsPerUser: 3,
    heartbeatMs: 0,
    ...extra,
  });
  cleanup.push(() => limiter.close());
  return limiter;
}

async function refused(limiter: RedisConnectionLimiter, userId: string): Promise<unknown> {
  try {
    await limiter.acquire(userId);
  } catch (err) {
    return err;
  }
  return null;
}

describe.skipIf(!redisUrl())('Redis connection limiter', () => {
  const client = () => {
    const redis = new Redis(redisUrl()!);
    cleanup.push(() => redis.disconnect());
    return redis;
  };

  it('holds one limit per user across two hubs (two hosts)', async () => {
    const prefix = prefixFor();
    const redis = client();
    const [a, b] = [
      harness({ connectionLimiter: limiterOn(client(), prefix) }),
      harness({ connectionLimiter: limiterOn(client(), prefix) }),
    ];
    const open = (hub: typeof a.hub) => {
      const received: Envelope[] = [];
      const closed: (SyncError | undefined)[] = [];
      const handle = hub.subscribe(
        { channel: 'inventory_alerts' },
        { userId: 'alice', tenantIds: ['c1'] },
        {
          write: (e) => received.push(e) > 0,
          close: (error) => closed.push(error),
        },
      );
      return { received, closed, handle };
    };
    const ready = (c: ReturnType<typeof open>) => until(() => c.received.some((e) => e.type === 'ready'));
    const onA = [open(a.hub), open(a.hub)];
    const onB = open(b.hub);
    await Promise.all([...onA, onB].map(ready));
    const fourth = open(b.hub);
    await until(() => fourth.closed.length > 0);
    expect(fourth.closed[0]).toBeInstanceOf(TooManyConnectionsError);
    expect(fourth.received).toEqual([]);
    onA[0]!.handle.close();
    await until(async () => (await redis.zcard(`${prefix}alice`)) === 2);
    const fifth = open(b.hub);
    await ready(fifth);
    expect(await redis.zcard(`${prefix}alice`)).toBe(3);
  });

  it("frees a killed host's slots once their lease expires, while a live host keeps its own", async () => {
    const prefix = prefixFor();
    let clock = 1_000_000;
    const options = { ttlMs: 10_000, now: () => clock };
    const killed = limiterOn(client(), prefix, options);
    const live = limiterOn(client(), prefix, options);
    const other = limiterOn(client(), prefix, options);
    await killed.acquire('alice');
    await killed.acquire('alice');
    await live.acquire('alice');
    expect(await refused(other, 'alice')).toBeInstanceOf(TooManyConnectionsError);
    // `killed` is SIGKILLed: no release, no more heartbeats. `live` keeps beating.
    for (let i = 0; i < 3; i++) {
      clock += 4_000;
      await live.heartbeat();
    }
    await other.acquire('alice');
    await other.acquire('alice');
    expect(await refused(other, 'alice')).toBeInstanceOf(TooManyConnectionsError);
  });

  it('degrades to the per-process limit when Redis stops, never hangs, and recovers when it is back', async () => {
    const port = await freePort();
    const server = startRedis(port);
    cleanup.push(() => stopRedis(port, server));
    const unhandled = vi.spyOn(console, 'error');
    cleanup.push(() => unhandled.mockRestore());
    const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    // Listening from the start: the server may not accept connections yet.
    const limiter = limiterOn(redis, prefixFor(), { commandTimeoutMs: 300 });
    cleanup.push(() => redis.disconnect());
    await until(() => redis.status === 'ready');
    // Connection errors before the server listened degraded it; 'ready' made it probe and recover.
    await until(() => !limiter.degraded);
    const seen: string[] = [];
    limiter.events.on('limiter:degraded', () => seen.push('degraded'));
    limiter.events.on('limiter:recovered', () => seen.push('recovered'));
    await limiter.acquire('alice');

    stopRedis(port, server);
    await until(() => redis.status !== 'ready');
    // Admitted on the per-process limit (3), without waiting for Redis beyond its timeout.
    await limiter.acquire('alice');
    await limiter.acquire('alice');
    expect(limiter.degraded).toBe(true);
    expect(await refused(limiter, 'alice')).toBeInstanceOf(TooManyConnectionsError);
    await limiter.heartbeat(); // still down: stays degraded
    expect(limiter.degraded).toBe(true);
    // The limiter listens to the client's 'error' events: ioredis never reports one as unhandled.
    expect(unhandled.mock.calls.filter((c) => String(c[0]).includes('Unhandled error'))).toEqual([]);

    const restarted = startRedis(port);
    cleanup.push(() => stopRedis(port, restarted));
    await until(() => !limiter.degraded); // probed on 'ready'
    expect(seen).toEqual(['degraded', 'recovered']);
    // The empty server learned every connection this process holds.
    const keys = await redis.keys('cf_test_conn_*alice');
    expect(keys).toHaveLength(1);
    expect(await redis.zcard(keys[0]!)).toBe(3);
  });
});

describe('Redis connection limiter with a Redis that never answers', () => {
  it('gives up after commandTimeoutMs and admits on the per-process limit', async () => {
    vi.useFakeTimers();
    try {
      const silent: RedisScriptClient = {
        evalsha: () => new Promise(() => {}),
        eval: () => new Promise(() => {}),
      };
      const limiter = createRedisConnectionLimiter({ redis: silent, commandTimeoutMs: 500, heartbeatMs: 0 });
      const degraded = vi.fn();
      limiter.events.on('limiter:degraded', degraded);
      const slot = limiter.acquire('alice');
      await vi.advanceTimersByTimeAsync(500);
      const release = await slot;
      expect(typeof release).toBe('function');
      expect(limiter.degraded).toBe(true);
      expect(degraded).toHaveBeenCalledTimes(1);
      const beat = limiter.heartbeat();
      await vi.advanceTimersByTimeAsync(500);
      await beat;
      expect(limiter.degraded).toBe(true);
      release();
      await limiter.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A Redis server of this test's own (never the shared one), in the foreground so it dies with us. */
function startRedis(port: number) {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
}

function stopRedis(port: number, server: ReturnType<typeof startRedis>): void {
  if (server.exitCode !== null || server.signalCode !== null) return;
  try {
    execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
  } catch {
    server.kill('SIGKILL');
  }
}
