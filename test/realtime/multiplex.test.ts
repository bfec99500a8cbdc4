/**
 * Multiplexed connections: one WebSocket or SSE stream carrying many
 * subscriptions, each with its own id, cursor, filter and `select`, against a
 * real `node:http` server with `ws`. The connection limit counts connections.
 */
import { type Server, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  type LiveSubscription,
  type RealtimeConnection,
  connectMultiplexed,
} from '../../src/client/multiplex-client.js';
import type { Row } from '../../src/core/row-change.js';
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import { type Envelope, decodeEnvelope } from '../../src/core/envelope.js';
import { UnauthorizedError } from '../../src/realtime/errors.js';
import { type RealtimeHub, createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { decodeMultiplexCursor } from '../../src/realtime/multiplex-params.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { SseParser } from '../../src/client/sse-parser.js';
import { WEBSOCKET_SERVER_OPTIONS, attachWebSocketServer } from '../../src/realtime/websocket.js';
import { compareCheckpoints } from '../../src/core/checkpoint.js';
import { resumeCursorCheckpoint } from '../../src/core/resume-cursor.js';
import { waitFor } from '../support/wait.js';

const CHANNELS: ChannelDefinition[] = [
  {
    name: 'items',
    keyColumns: ['creator_id', 'sku'],
    tenantColumn: 'creator_id',
    filterableColumns: ['sku', 'n'],
    columns: ['creator_id', 'sku', 'n', 'note'],
    throttleMs: 0,
  },
];
const USERS: Record<string, string[]> = { alice: ['c1'], bob: ['c2'] };
const SKUS = Array.from({ length: 10 }, (_, i) => `k${i}`);

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
  const options = { authorize, maxSubscriptionsPerConnection: 12 };
  const sse = createSseHandler(hub, options);
  server = createServer((req, res) => void sse(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  attachWebSocketServer(
    hub,
    new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/ws' }),
    options,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const sku of SKUS) model.upsert('items', { creator_id: 'c1', sku, n: 0, note: 'start' });
  model.upsert('items', { creator_id: 'c2', sku: 'k0', n: 0, note: 'bob' });
});

// Every test starts with the user's connections given back (the limit is 3 per user).
const opened: { close(): void }[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) c.close();
  await waitFor(() => hub.stats().subscriptions === 0, { what: 'the last test’s connections closed' });
});

afterAll(async () => {
  await hub.close();
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** What the server holds for one subscription's filter, as the client should hold it. */
const serverRows = (sku: string): Row[] =>
  model.rows('items').filter((r) => r.creator_id === 'c1' && r.sku === sku);

/** Every data cursor a subscription received strictly increases (never a repeat). */
function watchOrder(sub: LiveSubscription): string[] {
  const violations: string[] = [];
  let last: string | null = null;
  sub.messages$.subscribe((e) => {
    if (e.type !== 'data' || e.cursor === null) return;
    if (
      last !== null &&
      compareCheckpoints(resumeCursorCheckpoint(e.cursor), resumeCursorCheckpoint(last)) <= 0
    )
      violations.push(`${e.cursor} after ${last}`);
    last = e.cursor;
  });
  return violations;
}

/** A raw WebSocket collecting envelopes. */
async function rawSocket(query: string) {
  const socket = new WebSocket(`ws://${base}/ws?${query}`);
  opened.push(socket);
  const seen: Envelope[] = [];
  let closeCode: number | null = null;
  socket.on('message', (data) => seen.push(decodeEnvelope(String(data))));
  socket.on('close', (code) => (closeCode = code));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    seen,
    closeCode: () => closeCode,
    send: (message: object) => socket.send(JSON.stringify(message)),
  };
}

describe.each(['websocket', 'sse'] as const)('multiplexed %s', (transport) => {
  const open = (): RealtimeConnection => {
    const connection = connectMultiplexed({
      url: transport === 'sse' ? `http://${base}/sse?user=alice` : `ws://${base}/ws?user=alice`,
      backoff: { initialMs: 20, maxMs: 100 },
      ...(transport === 'websocket' ? { WebSocket: WebSocket as never } : {}),
    });
    opened.push(connection);
    return connection;
  };

  it('carries 10 subscriptions added and removed live on one connection', async () => {
    const connection = open();
    const subs = SKUS.map((sku) => connection.subscribe({ channel: 'items', filter: `sku=eq.${sku}` }));
    await waitFor(() => subs.every((s) => s.cursor !== null && s.table.rows().length === 1), {
      what: 'ten snapshots',
    });
    // One connection slot, ten subscriptions.
    expect(hub.stats().subscriptions).toBe(10);
    for (const [i, sub] of subs.entries()) expect(sub.table.rows()).toEqual(serverRows(SKUS[i]!));

    // Remove half; the others keep their rows and keep receiving.
    const removedAt = subs.slice(5).map((s) => s.table.rows()[0]?.n);
    const reconnectsBefore = connection.stats.reconnects;
    for (const sub of subs.slice(5)) sub.close();
    await waitFor(() => hub.stats().subscriptions === 5, { what: 'five left' });
    for (const sku of SKUS) model.upsert('items', { creator_id: 'c1', sku, n: 1, note: 'one' });
    await waitFor(
      () =>
        subs.slice(0, 5).every((s, i) => s.table.rows()[0]?.n === 1 && s.table.rows()[0]?.sku === SKUS[i]),
      {
        what: 'updates on the remaining five',
      },
    );
    expect(subs.slice(5).map((s) => s.table.rows()[0]?.n)).toEqual(removedAt);
    expect(subs.slice(5).map((s) => s.table.rows()[0]?.n)).not.toContain(1);

    // Add one back (a new id) while the others stay live.
    const again = connection.subscribe({ channel: 'items', filter: 'sku=eq.k9', select: ['n'] });
    await waitFor(() => again.table.rows().length === 1, { what: 'the new subscription' });
    expect(again.table.rows()).toEqual([{ creator_id: 'c1', sku: 'k9', n: 1 }]);
    expect(again.id).not.toBe(subs[9]!.id);
    // A WebSocket adds and removes without reconnecting; SSE reconnects with the new set.
    if (transport === 'websocket') expect(connection.stats.reconnects).toBe(reconnectsBefore);
    // Each of the first five had exactly one snapshot (SSE: resumed from its cursor on each change of set).
    for (const sub of subs.slice(0, 5)) expect(sub.stats.resets).toBe(1);
    connection.close();
    await waitFor(() => hub.stats().subscriptions === 0, { what: 'all closed' });
  });

  it('resumes every subscription after a cut with exactly the server rows', async () => {
    const connection = open();
    const subs = SKUS.map((sku) => connection.subscribe({ channel: 'items', filter: `sku=eq.${sku}` }));
    const violations = subs.map(watchOrder);
    await waitFor(() => subs.every((s) => s.cursor !== null && s.table.rows().length === 1), {
      what: 'ten snapshots',
    });
    const states: string[] = [];
    connection.state$.subscribe((s) => states.push(s));
    let n = 100;
    for (let cut = 0; cut < 3; cut++) {
      for (const s of sockets) s.destroy();
      for (let i = 0; i < 4; i++) {
        n++;
        for (const sku of SKUS) model.upsert('items', { creator_id: 'c1', sku, n, note: `cut ${cut}` });
      }
      const target = n;
      await waitFor(() => subs.every((s) => s.table.rows()[0]?.n === target), { what: `catch-up ${cut}` });
    }
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');
    for (const [i, sub] of subs.entries()) {
      expect(sub.table.rows()).toEqual(serverRows(SKUS[i]!));
      // Never a second snapshot: every resume came from the replay buffer at its own cursor.
      expect(sub.stats.resets).toBe(1);
      expect(sub.stats.duplicatesDropped).toBe(0);
      expect(violations[i]).toEqual([]);
    }
    connection.close();
  });

  it('refuses select= naming an unknown column with INVALID_SELECT, and the rest goes on', async () => {
    const connection = open();
    const good = connection.subscribe({ channel: 'items', filter: 'sku=eq.k1', select: ['note'] });
    const bad = connection.subscribe({ channel: 'items', select: ['nope'] });
    const states: string[] = [];
    bad.state$.subscribe((s) => states.push(s));
    await waitFor(() => states.includes('error') && good.table.rows().length === 1, { what: 'refusal' });
    expect(bad.lastError).toMatchObject({ code: 'INVALID_SELECT' });
    expect(good.table.rows()).toEqual([{ creator_id: 'c1', sku: 'k1', note: serverRows('k1')[0]!.note }]);
    connection.close();
  });
});

describe('multiplexed websocket protocol', () => {
  it('echoes sub ids, takes one connection slot, and caps subscriptions per connection', async () => {
    const a = await rawSocket('user=bob');
    for (let i = 0; i < 13; i++) a.send({ type: 'subscribe', sub: `p${i}`, channel: 'items', select: 'n' });
    await waitFor(() => a.seen.filter((e) => e.type === 'ready').length === 12, { what: '12 ready' });
    await waitFor(() => a.seen.some((e) => e.type === 'error'), { what: 'the 13th refused' });
    const refused = a.seen.find((e) => e.type === 'error')!;
    expect(refused).toMatchObject({ sub: 'p12', error: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    expect(a.closeCode()).toBeNull(); // the connection stays
    const reset = a.seen.find((e) => e.type === 'reset' && e.sub === 'p0')!;
    // Only the key columns and the selected one.
    expect(reset.rows!.every((r) => Object.keys(r).sort().join() === 'creator_id,n,sku')).toBe(true);

    // Bad messages get a typed error and change nothing.
    a.send({ type: 'subscribe', sub: 'p0', channel: 'items' });
    a.send({ type: 'subscribe', sub: 'x', channel: 'items', filter: 'colour=eq.red' });
    a.send({ type: 'frobnicate' });
    await waitFor(() => a.seen.filter((e) => e.type === 'error').length === 4, { what: 'three refusals' });
    expect(
      a.seen
        .filter((e) => e.type === 'error')
        .slice(1)
        .map((e) => [e.sub, e.error!.code]),
    ).toEqual([
      ['p0', 'VALIDATION_FAILED'],
      ['x', 'INVALID_FILTER'],
      [undefined, 'VALIDATION_FAILED'],
    ]);

    // The limit (3) counts connections, not subscriptions: two more fit, the fourth is refused.
    const b = await rawSocket('user=bob');
    const c = await rawSocket('user=bob&sub.q.channel=items');
    await waitFor(() => c.seen.some((e) => e.type === 'ready' && e.sub === 'q'), { what: 'initial sub' });
    const d = await rawSocket('user=bob');
    await waitFor(() => d.closeCode() === 4429, { what: '4429' });
    expect(d.seen[0]).toMatchObject({ type: 'error', error: { code: 'TOO_MANY_CONNECTIONS' } });
    expect(d.seen[0]!.sub).toBeUndefined();

    // Unsubscribe stops a subscription and gives nothing back but the room for another.
    a.send({ type: 'unsubscribe', sub: 'p3' });
    await waitFor(() => hub.stats().subscriptions === 12, { what: 'p3 gone' });
    const before = a.seen.length;
    model.upsert('items', { creator_id: 'c2', sku: 'k0', n: 555, note: 'after' });
    await waitFor(() => a.seen.filter((e, i) => i >= before && e.type === 'data').length === 11, {
      what: 'data on the 11 left',
    });
    // A heartbeat p3 wrote before the server removed it may still be on the wire; no data may follow.
    expect(a.seen.slice(before).some((e) => e.sub === 'p3' && e.type === 'data')).toBe(false);
    for (const s of [a, b, c, d]) s.socket.close();
    await waitFor(() => hub.stats().subscriptions === 0, { what: 'all closed' });
  });
});

describe('multiplexed sse protocol', () => {
  it('resumes every subscription from a Last-Event-ID holding all cursors', async () => {
    const query = SKUS.slice(0, 3)
      .map((sku, i) => `sub.s${i}.channel=items&sub.s${i}.filter=${encodeURIComponent(`sku=eq.${sku}`)}`)
      .join('&');
    const read = async (
      headers: Record<string, string>,
      until: (seen: { id: string; e: Envelope }[]) => boolean,
    ) => {
      const controller = new AbortController();
      const res = await fetch(`http://${base}/sse?user=alice&${query}`, {
        headers,
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      const seen: { id: string; e: Envelope }[] = [];
      const parser = new SseParser();
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      while (!until(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
          if (ev.data) seen.push({ id: ev.id ?? '', e: decodeEnvelope(ev.data) });
        }
      }
      controller.abort();
      return seen;
    };
    const first = await read({}, (seen) => seen.filter((s) => s.e.type === 'ready').length === 3);
    expect(new Set(first.map((s) => s.e.sub))).toEqual(new Set(['s0', 's1', 's2']));
    const lastEventId = first.at(-1)!.id;
    expect([...decodeMultiplexCursor(lastEventId).keys()].sort()).toEqual(['s0', 's1', 's2']);

    for (const sku of SKUS.slice(0, 3))
      model.upsert('items', { creator_id: 'c1', sku, n: 777, note: 'missed' });
    const second = await read(
      { 'last-event-id': lastEventId },
      (seen) => seen.filter((s) => s.e.type === 'data').length === 3,
    );
    // No snapshot: each resumed from its own cursor with exactly what it missed.
    expect(second.filter((s) => s.e.type === 'reset')).toEqual([]);
    for (const i of [0, 1, 2]) {
      const data = second.filter((s) => s.e.type === 'data' && s.e.sub === `s${i}`);
      expect(data.flatMap((s) => s.e.deltas)).toEqual([
        ['UPDATE', { creator_id: 'c1', sku: `k${i}` }, { n: 777, note: 'missed' }],
      ]);
    }
  });

  it('refuses a bad stream before it opens with a problem: 400 INVALID_SELECT, 400 TOO_MANY_SUBSCRIPTIONS, 422 for no subscription', async () => {
    const status = async (query: string) => {
      const res = await fetch(`http://${base}/sse?user=alice&${query}`);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = (await res.json()) as { code: string };
      return [res.status, body.code];
    };
    expect(await status('channel=items&select=nope')).toEqual([400, 'INVALID_SELECT']);
    const many = Array.from({ length: 13 }, (_, i) => `sub.m${i}.channel=items`).join('&');
    expect(await status(many)).toEqual([400, 'TOO_MANY_SUBSCRIPTIONS']);
    expect(await status('')).toEqual([422, 'VALIDATION_FAILED']);
    expect(await status('sub.a.colour=red')).toEqual([422, 'VALIDATION_FAILED']);
    await waitFor(() => hub.stats().subscriptions === 0, { what: 'nothing left subscribed' });
  });

  it('refuses one bad subscription with its own error frame and streams the others', async () => {
    const res = await fetch(
      `http://${base}/sse?user=alice&sub.a.channel=items&sub.a.select=n,nope&sub.b.channel=items&sub.b.select=n`,
    );
    expect(res.status).toBe(200);
    const parser = new SseParser();
    const reader = res.body!.getReader();
    const seen: Envelope[] = [];
    while (!seen.some((e) => e.type === 'ready')) {
      const { value } = await reader.read();
      for (const ev of parser.push(new TextDecoder().decode(value)))
        if (ev.data) seen.push(decodeEnvelope(ev.data));
    }
    expect(seen[0]).toMatchObject({ type: 'error', sub: 'a', error: { code: 'INVALID_SELECT' } });
    expect(seen.filter((e) => e.sub === 'b').map((e) => e.type)).toEqual(['reset', 'ready']);
    await reader.cancel();
  });
});

describe('a subscription failing for a passing reason', () => {
  it('gets its own SNAPSHOT_FAILED, is subscribed again after a backoff, and the others never notice', async () => {
    let failures = 1;
    const flaky = createRealtimeHub({
      channels: CHANNELS,
      changes: model.changes,
      snapshot: (channel, filter, tenantIds, select) => {
        if (filter.text.includes('k1') && failures-- > 0) return Promise.reject(new Error('replica down'));
        return model.snapshot(channel, filter, tenantIds, select);
      },
      windowMs: 10,
      heartbeatMs: 0,
    });
    const own = createServer();
    attachWebSocketServer(flaky, new WebSocketServer({ server: own }), {
      authorize: () => ({ userId: 'carol', tenantIds: ['c1'] }),
    });
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    const { port } = own.address() as { port: number };
    const connection = connectMultiplexed({
      url: `ws://127.0.0.1:${port}/`,
      backoff: { initialMs: 20, maxMs: 100 },
      WebSocket: WebSocket as never,
    });
    try {
      const steady = connection.subscribe({ channel: 'items', filter: 'sku=eq.k0' });
      const failing = connection.subscribe({ channel: 'items', filter: 'sku=eq.k1' });
      const seen: string[] = [];
      failing.messages$.subscribe((e) => seen.push(e.type === 'error' ? e.error!.code : e.type));
      await waitFor(() => failing.table.rows().length === 1 && steady.table.rows().length === 1, {
        what: 'both live',
      });
      expect(seen).toEqual(['SNAPSHOT_FAILED', 'reset', 'ready']);
      expect(failing.table.rows()).toEqual(serverRows('k1'));
      expect(steady.stats.resets).toBe(1);
      expect(connection.stats.reconnects).toBe(0);
    } finally {
      connection.close();
      await flaky.close();
      await new Promise((resolve) => own.close(resolve));
    }
  });
});
