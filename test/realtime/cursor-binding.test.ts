/**
 * A resume cursor only resumes the subscription it was issued for (SSE and
 * WebSocket): handed back with another filter or channel, or in the format
 * without a fingerprint, it gets a `reset` with exactly the server's rows —
 * never a silent resume that would leave out the rows that match only the new
 * subscription and did not change since the cursor.
 */
import { type Server, createServer } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { Row } from '../../src/core/row-change.js';
import { type RealtimeHub, createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { WEBSOCKET_SERVER_OPTIONS, attachWebSocketServer } from '../../src/realtime/websocket.js';
import { resumeCursorCheckpoint, splitResumeCursor } from '../../src/core/resume-cursor.js';
import { checkResumeCursor, subscriptionFingerprint } from '../../src/realtime/cursor-binding.js';
import { parseFilter } from '../../src/realtime/filter.js';

const ITEMS: ChannelDefinition = {
  name: 'items',
  keyColumns: ['id'],
  tenantColumn: 'creator_id',
  filterableColumns: ['sku'],
  throttleMs: 0,
};
const OTHER: ChannelDefinition = { ...ITEMS, name: 'other_items' };

let server: Server;
let hub: RealtimeHub;
let model: MemoryReadModel;
let base: string;
const resets: string[] = [];

beforeAll(async () => {
  model = new MemoryReadModel([ITEMS, OTHER]);
  hub = createRealtimeHub({
    channels: [ITEMS, OTHER],
    changes: model.changes,
    snapshot: model.snapshot,
    windowMs: 5,
    heartbeatMs: 0,
  });
  hub.events.on('realtime:reset', (info) => resets.push(info.reason));
  const authorize = () => ({ userId: 'alice', tenantIds: ['c1'] });
  const sse = createSseHandler(hub, { authorize });
  server = createServer((req, res) => void sse(req, res));
  const wss = new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/ws' });
  attachWebSocketServer(hub, wss, { authorize });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const [id, sku] of [
    ['1', 'A'],
    ['2', 'B'],
    ['3', 'B'],
  ] as const) {
    model.upsert('items', { id, creator_id: 'c1', sku, n: 0 });
    model.upsert('other_items', { id, creator_id: 'c1', sku, n: 0 });
  }
});

afterAll(async () => {
  await hub.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  resets.length = 0;
});

const serverRows = (table: string, sku?: string): Row[] =>
  model.rows(table).filter((r) => r.creator_id === 'c1' && (sku === undefined || r.sku === sku));
const byId = (rows: readonly Row[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));

type Open = (query: string, cursor: string | null) => Promise<Envelope[]>;

/** SSE: the envelopes up to `ready`; the cursor goes as `Last-Event-ID` (what EventSource sends). */
const viaSse: Open = async (query, cursor) => {
  const res = await fetch(`http://${base}/sse?${query}`, {
    headers: cursor ? { 'last-event-id': cursor } : {},
  });
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('event: ready')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Envelope);
};

/** WebSocket: the envelopes up to `ready`; the cursor goes as `?cursor=`. */
const viaWebSocket: Open = async (query, cursor) => {
  const cursorParam = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
  const socket = new WebSocket(`ws://${base}/ws?${query}${cursorParam}`);
  const seen: Envelope[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      const envelope = JSON.parse(data.toString()) as Envelope;
      seen.push(envelope);
      if (envelope.type === 'ready' || envelope.type === 'error') resolve();
    });
    socket.on('error', reject);
  });
  socket.close();
  return seen;
};

/** The cursor a client holds after the envelopes (the last one's). */
const cursorAfter = (envelopes: readonly Envelope[]): string => envelopes.at(-1)!.cursor!;

/** Wait until the hub has fanned out the latest change (a probe subscription sees it). */
async function settled(open: Open, query: string, cursor: string): Promise<string> {
  const want = model.checkpoint;
  for (;;) {
    const seen = await open(query, cursor);
    const at = cursorAfter(seen);
    if (resumeCursorCheckpoint(at) === want) return at;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each([
  ['sse', viaSse],
  ['websocket', viaWebSocket],
] as const)('%s', (_name, open) => {
  it('hands out cursors bound to the subscription', async () => {
    const seen = await open('channel=items&filter=sku=eq.A', null);
    expect(splitResumeCursor(cursorAfter(seen))?.fingerprint).toMatch(/^[0-9a-f]{10}$/);
  });

  it('a cursor of filter A presented with filter B gets a reset with exactly the rows of B', async () => {
    const first = await open('channel=items&filter=sku=eq.A', null);
    const cursor = cursorAfter(first);
    model.upsert('items', { id: '1', creator_id: 'c1', sku: 'A', n: Date.now() });
    await settled(open, 'channel=items&filter=sku=eq.A', cursor);
    resets.length = 0;

    const resumed = await open('channel=items&filter=sku=eq.B', cursor);
    const reset = resumed.find((e) => e.type === 'reset');
    // Before the fix: no reset, only a ready (rows 2 and 3 never reached the client).
    expect(reset, JSON.stringify(resumed)).toBeDefined();
    expect(byId(reset!.rows!)).toEqual(byId(serverRows('items', 'B')));
    expect(resets).toEqual(['cursor_mismatch']);
  });

  it('a cursor of one channel presented on another gets a reset with that channel’s rows', async () => {
    const cursor = cursorAfter(await open('channel=items', null));
    model.upsert('items', { id: '2', creator_id: 'c1', sku: 'B', n: Date.now() });
    await settled(open, 'channel=items', cursor);
    resets.length = 0;

    const resumed = await open('channel=other_items', cursor);
    const reset = resumed.find((e) => e.type === 'reset');
    expect(reset, JSON.stringify(resumed)).toBeDefined();
    expect(byId(reset!.rows!)).toEqual(byId(serverRows('other_items')));
    expect(resets).toEqual(['cursor_mismatch']);
  });

  it('a cursor without a fingerprint (the format before) is unverifiable: reset', async () => {
    const cursor = cursorAfter(await open('channel=items&filter=sku=eq.B', null));
    resets.length = 0;
    const resumed = await open('channel=items&filter=sku=eq.B', resumeCursorCheckpoint(cursor));
    const reset = resumed.find((e) => e.type === 'reset');
    expect(reset, JSON.stringify(resumed)).toBeDefined();
    expect(byId(reset!.rows!)).toEqual(byId(serverRows('items', 'B')));
    expect(resets).toEqual(['cursor_unverified']);
  });

  it('the same subscription resumes without a snapshot, with what changed since', async () => {
    const query = 'channel=items&filter=sku=eq.B';
    const cursor = cursorAfter(await open(query, null));
    const n = Date.now();
    model.upsert('items', { id: '3', creator_id: 'c1', sku: 'B', n });
    const later = await settled(open, query, cursor);
    expect(later).not.toBe(cursor);
    resets.length = 0;

    const resumed = await open(query, cursor);
    expect(resumed.map((e) => e.type)).toEqual(['data', 'ready']);
    expect(resumed[0]!.deltas).toEqual([['UPDATE', { id: '3' }, { n }]]);
    expect(resets).toEqual([]);
  });

  it('a malformed cursor is handled as before (a reset, cursor_too_old)', async () => {
    const resumed = await open('channel=items', 'not-a-cursor');
    expect(resumed.some((e) => e.type === 'reset')).toBe(true);
    expect(resets).toEqual(['cursor_too_old']);
  });
});

describe('subscription fingerprint', () => {
  const fp = (over: Partial<Parameters<typeof subscriptionFingerprint>[0]> = {}) =>
    subscriptionFingerprint({
      channel: 'items',
      filter: parseFilter(ITEMS, 'sku=eq.A'),
      tenantIds: ['c1', 'c2'],
      select: null,
      events: ['INSERT', 'UPDATE', 'DELETE'],
      ...over,
    });

  it('changes with everything that changes the row set, not with list order', () => {
    const base = fp();
    expect(fp({ tenantIds: ['c2', 'c1'], events: ['DELETE', 'UPDATE', 'INSERT'] })).toBe(base);
    for (const other of [
      fp({ channel: 'other_items' }),
      fp({ filter: parseFilter(ITEMS, 'sku=eq.B') }),
      fp({ tenantIds: ['c1'] }),
      fp({ tenantIds: null }),
      fp({ select: ['sku'] }),
      fp({ events: ['INSERT'] }),
    ])
      expect(other).not.toBe(base);
  });

  it('checks a presented cursor', () => {
    expect(checkResumeCursor(null, 'aaaaaaaaaa')).toEqual({ resumeFrom: null, mismatch: null });
    expect(checkResumeCursor('5:9.aaaaaaaaaa', 'aaaaaaaaaa')).toEqual({ resumeFrom: '5:9', mismatch: null });
    expect(checkResumeCursor('5:9.bbbbbbbbbb', 'aaaaaaaaaa').mismatch).toBe('cursor_mismatch');
    expect(checkResumeCursor('5:9', 'aaaaaaaaaa').mismatch).toBe('cursor_unverified');
    expect(checkResumeCursor('junk', 'aaaaaaaaaa')).toEqual({ resumeFrom: 'junk', mismatch: null });
  });
});

describe('multiplexed WebSocket', () => {
  it('a subscription added with another subscription’s cursor gets a reset unless it is the same subscription', async () => {
    const socket = new WebSocket(`ws://${base}/ws?user=alice`);
    const seen: (Envelope & { sub?: string })[] = [];
    socket.on('message', (data: Buffer) => seen.push(JSON.parse(data.toString()) as Envelope));
    await new Promise((resolve) => socket.once('open', resolve));
    const readyOf = async (sub: string) => {
      while (!seen.some((e) => e.sub === sub && e.type === 'ready'))
        await new Promise((r) => setTimeout(r, 5));
      return seen.filter((e) => e.sub === sub);
    };
    const send = (m: Record<string, string>) => socket.send(JSON.stringify({ type: 'subscribe', ...m }));

    send({ sub: 'a', channel: 'items', filter: 'sku=eq.A' });
    const cursor = cursorAfter(await readyOf('a'));
    model.upsert('items', { id: '1', creator_id: 'c1', sku: 'A', n: Date.now() });
    await settled(viaWebSocket, 'channel=items&filter=sku=eq.A', cursor);
    resets.length = 0;

    send({ sub: 'b', channel: 'items', filter: 'sku=eq.B', cursor });
    const b = await readyOf('b');
    expect(byId(b.find((e) => e.type === 'reset')!.rows!)).toEqual(byId(serverRows('items', 'B')));
    send({ sub: 'c', channel: 'items', filter: 'sku=eq.A', cursor });
    expect((await readyOf('c')).map((e) => e.type)).toEqual(['data', 'ready']);
    expect(resets).toEqual(['cursor_mismatch']);
    socket.close();
  });
});
