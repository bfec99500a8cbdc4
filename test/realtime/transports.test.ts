import { type Server, createServer } from 'node:http';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';
import { createGunzip } from 'node:zlib';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type RealtimeClient, connectRealtime } from '../../src/client/realtime-client.js';
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import type { Envelope } from '../../src/core/envelope.js';
import { type RealtimeHub, createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { UnauthorizedError } from '../../src/realtime/errors.js';
import { WEBSOCKET_SERVER_OPTIONS, attachWebSocketServer } from '../../src/realtime/websocket.js';
import { compareCheckpoints } from '../../src/core/checkpoint.js';
import { resumeCursorCheckpoint } from '../../src/core/resume-cursor.js';

const CHANNELS: ChannelDefinition[] = [
  {
    name: 'order_metrics',
    keyColumns: ['creator_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['n'],
    throttleMs: 0,
  },
];
const USERS: Record<string, string[]> = { alice: ['c1'], bob: ['c2'] };

/** Resolves when `check()` holds (polling); the test's own timeout bounds it. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

let server: Server;
let hub: RealtimeHub;
let model: MemoryReadModel;
let base: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  model = new MemoryReadModel(CHANNELS);
  hub = createRealtimeHub({
    channels: CHANNELS,
    changes: model.changes,
    snapshot: model.snapshot,
    windowMs: 10,
    heartbeatMs: 200,
    maxConnectionsPerUser: 3,
  });
  const authorize = (req: { url?: string | undefined }) => {
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
    const tenantIds = USERS[user];
    if (!tenantIds) throw new UnauthorizedError();
    return { userId: user, tenantIds };
  };
  const sse = createSseHandler(hub, { authorize });
  server = createServer((req, res) => void sse(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/ws' });
  attachWebSocketServer(hub, wss, { authorize });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await hub.close();
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** Records every envelope and every violation of cursor order. */
function watch(client: RealtimeClient) {
  const seen: Envelope[] = [];
  const violations: string[] = [];
  let last: string | null = null;
  client.messages$.subscribe((e) => {
    seen.push(e);
    if (
      e.type === 'data' &&
      last !== null &&
      compareCheckpoints(resumeCursorCheckpoint(e.cursor!), resumeCursorCheckpoint(last)) <= 0
    ) {
      violations.push(`${e.cursor} after ${last}`);
    }
    if (e.type === 'data' || e.type === 'reset') last = e.cursor;
  });
  return { seen, violations };
}

const row = (client: RealtimeClient) => client.table.get({ creator_id: 'c1' });

describe.each(['sse', 'websocket'] as const)('%s transport on node:http', (transport) => {
  it('streams deltas, survives a cut connection and resumes from its cursor without loss or duplicate', async () => {
    const url = transport === 'sse' ? `http://${base}/sse?user=alice` : `ws://${base}/ws?user=alice`;
    const client = connectRealtime({
      url,
      channel: 'order_metrics',
      backoff: { initialMs: 20, maxMs: 100 },
      ...(transport === 'websocket' ? { WebSocket: WebSocket as never } : {}),
    });
    const { seen, violations } = watch(client);
    await firstValueFrom(client.messages$.pipe(filter((e) => e.type === 'ready')));
    const states: string[] = [];
    client.state$.subscribe((s) => states.push(s));
    model.upsert('order_metrics', { creator_id: 'c1', n: 1, note: 'x'.repeat(2000) });
    model.upsert('order_metrics', { creator_id: 'c2', n: 100 });
    await until(() => row(client)?.n === 1);

    for (let cut = 0; cut < 3; cut++) {
      for (const s of sockets) s.destroy();
      for (let i = 0; i < 5; i++) model.upsert('order_metrics', { creator_id: 'c1', n: 2 + cut * 5 + i });
      await until(() => row(client)?.n === 6 + cut * 5);
    }
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');
    expect(violations).toEqual([]);
    // One snapshot only: every reconnect resumed from the replay buffer.
    expect(seen.filter((e) => e.type === 'reset')).toHaveLength(1);
    expect(client.table.rows()).toEqual([{ creator_id: 'c1', n: 16, note: 'x'.repeat(2000) }]);
    client.close();
  });
});

describe('sse specifics', () => {
  it('a gzipped stream blocked by a slow reader flows again when the reader catches up', async () => {
    // The gzip stream is made after the handler subscribes (with the first message): its
    // 'drain' is what unblocks a subscriber whose write returned false.
    const req = request(`http://${base}/sse?user=alice&channel=order_metrics`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.headers['content-encoding']).toBe('gzip');
    res.pause(); // a reader that stops reading: the socket, then the gzip stream, fill up
    for (let i = 0; hub.stats().queuedMessages === 0; i++) {
      if (i > 3000) throw new Error('the server never had to queue');
      // Incompressible, so the bytes reach the socket; one per window, so none is folded away.
      model.upsert('order_metrics', {
        creator_id: 'c1',
        n: 1000 + i,
        note: randomBytes(24_000).toString('base64'),
      });
      await new Promise((r) => setTimeout(r, 12));
    }
    model.upsert('order_metrics', { creator_id: 'c1', n: 999_999, note: 'last' });
    const gunzip = res.pipe(createGunzip());
    let tail = '';
    gunzip.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-100_000)));
    await until(() => tail.includes('"n":999999'));
    req.destroy();
  }, 60_000);

  it('gzips when accepted and names the cursor in id:', async () => {
    const res = await fetch(`http://${base}/sse?user=alice&channel=order_metrics`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: ready')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/id: \d+:\d+\.[0-9a-f]{10}\nevent: reset\ndata: \{/);
    await reader.cancel();
  });

  it('answers 400 INVALID_FILTER, 401 and 429 with Retry-After', async () => {
    const bad = await fetch(`http://${base}/sse?user=alice&channel=order_metrics&filter=secret=eq.1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_FILTER');
    const anon = await fetch(`http://${base}/sse?user=eve&channel=order_metrics`);
    expect(anon.status).toBe(401);
    const open = await Promise.all(
      [1, 2, 3].map(() => fetch(`http://${base}/sse?user=bob&channel=order_metrics`)),
    );
    const refused = await fetch(`http://${base}/sse?user=bob&channel=order_metrics`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    await Promise.all(open.map((r) => r.body!.cancel()));
  });

  it('puts the client in error state on a bad filter instead of retrying', async () => {
    const client = connectRealtime({
      url: `http://${base}/sse?user=alice`,
      channel: 'order_metrics',
      filter: 'x=eq.1',
    });
    await firstValueFrom(client.state$.pipe(filter((s) => s === 'error')));
    expect((client.lastError as { code?: string }).code).toBe('INVALID_FILTER');
    client.close();
  });
});

describe('websocket specifics', () => {
  it('a malformed frame closes that socket and nothing else (no unheard error event)', async () => {
    const [host, port] = base.split(':') as [string, string];
    const socket = connect(Number(port), host);
    await once(socket, 'connect');
    socket.write(
      'GET /ws?channel=order_metrics&user=alice HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await once(socket, 'data');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    // A client frame without a mask: ws answers with a close frame (1002) and emits 'error'.
    socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    await until(() => received.includes(Buffer.from([0x88, 0x02, 0x03, 0xea])));
    socket.destroy();
    const res = await fetch(`http://${base}/?channel=order_metrics&user=bob`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });

  it('negotiates permessage-deflate and closes with 4429 past the connection limit', async () => {
    const open = (user: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://${base}/ws?user=${user}&channel=order_metrics`);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const first = await open('bob');
    expect(first.extensions).toContain('permessage-deflate');
    const more = [await open('bob'), await open('bob')];
    const refused = await open('bob');
    const [code, error] = await new Promise<[number, Envelope]>((resolve) => {
      let envelope: Envelope;
      refused.on('message', (data) => (envelope = JSON.parse(String(data)) as Envelope));
      refused.on('close', (c) => resolve([c, envelope]));
    });
    expect(code).toBe(4429);
    expect(error.error).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', retryAfterMs: 5000 });
    for (const ws of [first, ...more]) ws.close();
  });
});
