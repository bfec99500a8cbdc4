import { type Server, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { Envelope } from '../../src/core/envelope.js';
import { type RealtimeHub, createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { parseAllowedOrigins } from '../../src/realtime/origin.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { WEBSOCKET_SERVER_OPTIONS, handleWebSocket } from '../../src/realtime/websocket.js';
import { ORDER_METRICS } from './support.js';

const CHANNELS = ORDER_METRICS;
const LISTED = ['https://dash.example.com'];

let server: Server;
let hub: RealtimeHub;
let host = '';
let authorized = 0;
const authorize = () => {
  authorized++;
  return { userId: 'u1', tenantIds: ['c1'] };
};

beforeAll(async () => {
  const model = new MemoryReadModel(CHANNELS);
  model.upsert('order_metrics', { creator_id: 'c1', secret: 42 });
  hub = createRealtimeHub({ channels: CHANNELS, snapshot: model.snapshot, heartbeatMs: 0 });
  const sse = createSseHandler(hub, { authorize });
  const sseListed = createSseHandler(hub, { authorize, allowedOrigins: LISTED });
  server = createServer((req, res) => void (req.url!.startsWith('/listed') ? sseListed : sse)(req, res));
  const wss = new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, noServer: true });
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      const allowedOrigins = req.url!.startsWith('/listed') ? LISTED : undefined;
      void handleWebSocket(hub, ws, req, { authorize, ...(allowedOrigins ? { allowedOrigins } : {}) });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await hub.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function sseStatus(path: string, origin?: string) {
  const res = await fetch(`http://${host}${path}?channel=order_metrics`, {
    headers: origin === undefined ? {} : { origin },
  });
  const status = res.status;
  const body = status === 200 ? null : ((await res.json()) as { code: string });
  await res.body?.cancel().catch(() => undefined);
  return { status, code: body?.code };
}

/** Open a WebSocket and collect what it receives until it closes or gets `ready`. */
function ws(path: string, origin?: string) {
  return new Promise<{ code: number | null; envelopes: Envelope[] }>((resolve, reject) => {
    const socket = new WebSocket(`ws://${host}${path}?channel=order_metrics`, origin ? { origin } : {});
    const envelopes: Envelope[] = [];
    socket.on('message', (data) => {
      envelopes.push(JSON.parse(String(data)) as Envelope);
      if (envelopes.at(-1)!.type === 'ready') {
        socket.close();
        resolve({ code: null, envelopes });
      }
    });
    socket.on('close', (code) => resolve({ code, envelopes }));
    socket.on('error', reject);
  });
}

describe('allowedOrigins', () => {
  it('SSE: a foreign Origin gets 403 ORIGIN_NOT_ALLOWED before authorize runs', async () => {
    const before = authorized;
    expect(await sseStatus('/', 'https://evil.example')).toEqual({ status: 403, code: 'ORIGIN_NOT_ALLOWED' });
    expect(await sseStatus('/', 'null')).toEqual({ status: 403, code: 'ORIGIN_NOT_ALLOWED' });
    expect(await sseStatus('/listed', 'https://evil.example')).toMatchObject({ status: 403 });
    expect(authorized).toBe(before);
  });

  it('SSE: no Origin, the host’s own origin and a listed origin are served', async () => {
    expect((await sseStatus('/')).status).toBe(200);
    expect((await sseStatus('/', `http://${host}`)).status).toBe(200);
    expect((await sseStatus('/listed', 'https://DASH.example.com')).status).toBe(200);
    expect((await sseStatus('/', 'https://dash.example.com')).status).toBe(403);
  });

  it('WebSocket: a foreign Origin is closed with 4403 before authorize runs, and sees no data', async () => {
    const before = authorized;
    const { code, envelopes } = await ws('/', 'https://evil.example');
    expect(code).toBe(4403);
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]!.error).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    expect(authorized).toBe(before);
  });

  it('WebSocket: no Origin, the host’s own origin and a listed origin are served', async () => {
    for (const [path, origin] of [
      ['/', undefined],
      ['/', `http://${host}`],
      ['/listed', 'https://dash.example.com'],
    ] as const) {
      const { envelopes } = await ws(path, origin);
      expect(envelopes.map((e) => e.type)).toEqual(['reset', 'ready']);
    }
  });

  it('refuses a list entry that is not an origin at configuration time', () => {
    for (const bad of [
      'https://app.example.com/path',
      'app.example.com',
      'ftp://x.example',
      'https://u:p@x.example',
    ]) {
      expect(() => createSseHandler(hub, { authorize, allowedOrigins: [bad] })).toThrow(InvalidArgumentError);
    }
    expect(parseAllowedOrigins(' https://a.example , http://localhost:5173,')).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(parseAllowedOrigins(undefined)).toEqual([]);
    expect(() => parseAllowedOrigins('https://a.example/x')).toThrow(InvalidArgumentError);
  });
});
