/**
 * Liveness of a compressed realtime connection whose reader stopped reading
 * (a busy browser tab, a loaded machine): a gzipped SSE stream (multiplexed
 * and single) and a WebSocket with permessage-deflate, over real sockets.
 * While the reader is stopped every subscription backs up and the hub queues
 * its messages (heartbeats are skipped: they would only queue). Once the
 * reader reads again, every subscription's last change and then a heartbeat
 * carrying its cursor must arrive within a bound: nothing may stay held in
 * the compressor, the response or a subscription's queue.
 *
 * Backing a connection up waits on what the server did, never on time: a
 * witness subscription shows when each round of changes was fanned out, and
 * the connection counts as backed up once every subscription queued while the
 * server's socket holds bytes the kernel refused. How much the kernel takes
 * first varies (loopback buffers autotune up to `tcp_rmem` + `tcp_wmem`, tens
 * of MB after a fast catch-up), so the bound is in bytes, derived from them.
 */
import { type Server, type IncomingMessage, createServer, request } from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import { type Envelope, decodeEnvelope } from '../../src/core/envelope.js';
import { compareCheckpoints } from '../../src/core/checkpoint.js';
import { resumeCursorCheckpoint } from '../../src/core/resume-cursor.js';
import { SseParser } from '../../src/client/sse-parser.js';
import { type RealtimeHub, createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { WEBSOCKET_SERVER_OPTIONS, attachWebSocketServer } from '../../src/realtime/websocket.js';
import { waitFor } from '../support/wait.js';

const CHANNELS: ChannelDefinition[] = ['alpha', 'beta', 'gamma'].map((name) => ({
  name,
  keyColumns: ['creator_id', 'k'],
  tenantColumn: 'creator_id',
  filterableColumns: ['n'],
  throttleMs: 0,
}));
/** The value each channel's last change carries. */
const LAST = 999_999;
/** How long the reader has, once it reads again, to receive everything. */
const CATCH_UP_MS = 15_000;
/** Rows per channel and round (one message each): incompressible, ~128 KB of frame per round. */
const ROWS_PER_ROUND = 4;
const ROW_RANDOM_BYTES = 24_000;

let server: Server;
let hub: RealtimeHub;
let model: MemoryReadModel;
let base: string;
const sockets = new Set<Socket>();
/** Highest `n` below {@link LAST} the hub has fanned out per channel, as a witness subscription saw it. */
const fannedOut = new Map<string, number>();

beforeAll(async () => {
  model = new MemoryReadModel(CHANNELS);
  hub = createRealtimeHub({
    channels: CHANNELS,
    changes: model.changes,
    snapshot: model.snapshot,
    windowMs: 10,
    heartbeatMs: 100,
  });
  const authorize = () => ({ userId: 'alice', tenantIds: ['c1'] });
  // An always-writable subscriber per channel: the hub fans a batch out to every
  // subscriber synchronously, so once it has seen a change, so has the reader's.
  for (const { name } of CHANNELS) {
    fannedOut.set(name, -1);
    hub
      .messages({ channel: name, select: ['n'] }, { userId: 'witness', tenantIds: ['c1'] })
      .subscribe((e) => {
        for (const d of e.deltas ?? []) {
          const n = (d[2] as { n?: number } | undefined)?.n;
          if (typeof n === 'number' && n < LAST && n > fannedOut.get(name)!) fannedOut.set(name, n);
        }
      });
  }
  const sse = createSseHandler(hub, { authorize });
  server = createServer((req, res) => void sse(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/ws' });
  // A small high-water mark, so the WebSocket backs up as soon as the socket does.
  attachWebSocketServer(hub, wss, { authorize, highWaterBytes: 64 * 1024 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await hub.close();
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** What one subscription (by channel) has received. */
interface Seen {
  ready: boolean;
  /** Highest `n` seen in a change or snapshot row. */
  lastN: number;
  /** Cursor of the message that carried `lastN`. */
  lastNCursor: string | null;
  /** Heartbeats, with when they arrived. */
  heartbeats: { at: number; cursor: string | null }[];
}

/** A connection under test: what arrived per channel, and a tap to stop and restart reading. */
interface Reader {
  seen: Map<string, Seen>;
  /** The server's end of the connection. */
  server: Socket;
  pause(): void;
  resume(): void;
  close(): void;
}

function record(seen: Map<string, Seen>, e: Envelope): void {
  const s = seen.get(e.channel);
  if (!s) return;
  if (e.type === 'ready') s.ready = true;
  if (e.type === 'heartbeat') s.heartbeats.push({ at: Date.now(), cursor: e.cursor });
  const ns = [
    ...(e.deltas ?? []).map((d) => (d[2] as { n?: number } | undefined)?.n),
    ...(e.rows ?? []).map((r) => (r as { n?: number }).n),
  ].filter((n): n is number => typeof n === 'number');
  for (const n of ns) {
    if (n >= s.lastN) {
      s.lastN = n;
      s.lastNCursor = e.cursor;
    }
  }
}

function emptySeen(channels: readonly string[]): Map<string, Seen> {
  return new Map(channels.map((c) => [c, { ready: false, lastN: -1, lastNCursor: null, heartbeats: [] }]));
}

/** The server's end of the connection whose client end is `client`. */
function serverEndOf(client: Socket): Socket {
  const found = [...sockets].find((s) => s.remotePort === client.localPort);
  if (!found) throw new Error(`no server socket for client port ${client.localPort}`);
  return found;
}

/** A gzipped SSE stream read through `node:http` (pausing it stops reading the socket). */
async function openSse(path: string, channels: readonly string[]): Promise<Reader> {
  const seen = emptySeen(channels);
  const req = request(`http://${base}${path}`, { headers: { 'accept-encoding': 'gzip' } });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-encoding']).toBe('gzip');
  const parser = new SseParser();
  const gunzip = createGunzip();
  gunzip.setEncoding('utf8');
  gunzip.on('data', (text: string) => {
    for (const event of parser.push(text)) if (event.data !== '') record(seen, decodeEnvelope(event.data));
  });
  // Fed by hand, not piped: a pipe resumes its source on the gunzip's next 'drain',
  // undoing pause() (the reader went on reading and the connection never backed up).
  res.on('data', (chunk: Buffer) => gunzip.write(chunk));
  res.on('end', () => gunzip.end());
  return {
    seen,
    server: serverEndOf(res.socket),
    pause: () => res.pause(),
    resume: () => res.resume(),
    close: () => req.destroy(),
  };
}

/** A multiplexed WebSocket with permessage-deflate (pausing it stops reading the socket). */
async function openWebSocket(channels: readonly string[]): Promise<Reader> {
  const seen = emptySeen(channels);
  const socket = new WebSocket(`ws://${base}/ws`, { perMessageDeflate: true });
  socket.on('message', (data) => record(seen, decodeEnvelope(String(data))));
  let client: Socket | undefined;
  socket.once('upgrade', (res: IncomingMessage) => (client = res.socket));
  await once(socket, 'open');
  expect(socket.extensions).toMatch(/permessage-deflate/);
  for (const channel of channels)
    socket.send(JSON.stringify({ type: 'subscribe', sub: channel, channel, throttleMs: 0 }));
  return {
    seen,
    server: serverEndOf(client!),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => socket.terminate(),
  };
}

/**
 * Bytes the kernel may hold for a loopback connection whose reader stopped
 * reading: the largest receive plus send buffer it autotunes to (64 MB where
 * they cannot be read).
 */
function kernelBufferBytes(): number {
  try {
    const max = (name: string) =>
      Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
    const bytes = max('tcp_rmem') + max('tcp_wmem');
    if (Number.isFinite(bytes) && bytes > 0) return bytes;
  } catch {
    // Not Linux: the fallback below.
  }
  return 64 * 1024 * 1024;
}
/** Past this many incompressible bytes written for a stopped reader, its connection should long have backed up. */
const BACK_UP_BOUND_BYTES = 2 * kernelBufferBytes() + 16 * 1024 * 1024;

/** The `n` of the next row written (each row's is distinct). */
let nextN = 0;

/**
 * Stop reading and write rounds of changes until the connection backed up:
 * in one round every subscription queued its message while the server's
 * socket held bytes the kernel refused (with the reader stopped that stays
 * so). Then write each channel's last change (forgetting the previous cycle's).
 */
async function backUp(reader: Reader, channels: readonly string[]): Promise<void> {
  reader.pause();
  const from = reader.server.bytesWritten;
  // Counted as written, not as sent: a server that stops sending while the socket could take more fails here too.
  for (let written = 0; ; written += channels.length * ROWS_PER_ROUND * ROW_RANDOM_BYTES) {
    const before = hub.stats().queuedMessages;
    // Incompressible, so the bytes reach the socket; distinct keys, so nothing is folded away.
    // Written in one tick: one batch, so one message per channel.
    const last = channels.map((channel) => {
      for (let i = 0; i < ROWS_PER_ROUND; i++) {
        const note = randomBytes(ROW_RANDOM_BYTES).toString('base64');
        model.upsert(channel, { creator_id: 'c1', k: `k${nextN % 20}`, n: nextN++, note });
      }
      return nextN - 1;
    });
    await waitFor(() => channels.every((channel, i) => fannedOut.get(channel)! >= last[i]!), {
      timeoutMs: CATCH_UP_MS,
      intervalMs: 5,
      what: 'the round fanned out',
    });
    const everyQueued = hub.stats().queuedMessages - before >= channels.length;
    if (everyQueued && reader.server.writableLength > 0) break;
    if (written > BACK_UP_BOUND_BYTES) {
      const sent = reader.server.bytesWritten - from;
      const held = reader.server.writableLength;
      throw new Error(
        `the connection never backed up: ${written} bytes written, ${sent} sent, ${held} held by the socket; hub ${JSON.stringify(hub.stats())}`,
      );
    }
  }
  // A new key each time, so every cycle's last change is one the reader has yet to see.
  for (const channel of channels) {
    Object.assign(reader.seen.get(channel)!, { lastN: -1, lastNCursor: null });
    model.upsert(channel, { creator_id: 'c1', k: `last${nextN++}`, n: LAST, note: 'last' });
  }
}

/**
 * Read again: every channel's last change arrives, then a heartbeat at or past
 * its cursor (the subscription is live again and nothing is left queued).
 */
async function expectCaughtUp(reader: Reader, channels: readonly string[]): Promise<void> {
  const resumedAt = Date.now();
  reader.resume();
  const missing = () =>
    channels.filter((channel) => {
      const s = reader.seen.get(channel)!;
      if (s.lastN !== LAST || s.lastNCursor === null) return true;
      const last = resumeCursorCheckpoint(s.lastNCursor);
      return !s.heartbeats.some(
        (h) =>
          h.at >= resumedAt &&
          h.cursor !== null &&
          compareCheckpoints(resumeCursorCheckpoint(h.cursor), last) >= 0,
      );
    });
  await waitFor(() => missing().length === 0, {
    timeoutMs: CATCH_UP_MS,
    what: `the last change and a heartbeat after it on every channel (missing: ${missing().join(', ')})`,
  }).catch((err: unknown) => {
    const detail = channels.map((c) => {
      const s = reader.seen.get(c)!;
      return `${c}: n=${s.lastN} heartbeats=${s.heartbeats.length}`;
    });
    throw new Error(`${String(err)}; ${detail.join('; ')}; hub ${JSON.stringify(hub.stats())}`);
  });
  await waitFor(() => hub.stats().queuedMessages === 0, { timeoutMs: CATCH_UP_MS, what: 'empty queues' });
}

const NAMES = CHANNELS.map((c) => c.name);

/** Three cycles of: back the connection up, then read it all and check every channel caught up. */
async function backUpAndCatchUp(reader: Reader, channels: readonly string[]): Promise<void> {
  for (let cycle = 0; cycle < 3; cycle++) {
    await backUp(reader, channels);
    await expectCaughtUp(reader, channels);
  }
}

describe('a compressed connection whose reader stopped reading', () => {
  it('multiplexed SSE with gzip: every subscription catches up, heartbeats included', async () => {
    const reader = await openSse(`/sse?${NAMES.map((c) => `sub.${c}.channel=${c}`).join('&')}`, NAMES);
    await waitFor(() => NAMES.every((c) => reader.seen.get(c)!.ready), { what: 'ready on every channel' });
    await backUpAndCatchUp(reader, NAMES);
    reader.close();
  }, 120_000);

  it('single-subscription SSE with gzip: catches up, heartbeats included', async () => {
    const reader = await openSse('/sse?channel=alpha', ['alpha']);
    await waitFor(() => reader.seen.get('alpha')!.ready, { what: 'ready' });
    await backUpAndCatchUp(reader, ['alpha']);
    reader.close();
  }, 120_000);

  it('multiplexed WebSocket with permessage-deflate: every subscription catches up, heartbeats included', async () => {
    const reader = await openWebSocket(NAMES);
    await waitFor(() => NAMES.every((c) => reader.seen.get(c)!.ready), { what: 'ready on every channel' });
    await backUpAndCatchUp(reader, NAMES);
    reader.close();
  }, 120_000);

  it('gzip flushes every frame: heartbeats arrive one by one on an otherwise idle stream', async () => {
    const reader = await openSse(`/sse?${NAMES.map((c) => `sub.${c}.channel=${c}`).join('&')}`, NAMES);
    await waitFor(() => NAMES.every((c) => reader.seen.get(c)!.ready), { what: 'ready on every channel' });
    const from = NAMES.map((c) => reader.seen.get(c)!.heartbeats.length);
    // Tiny frames: without a sync flush per message zlib would hold kilobytes of them.
    await waitFor(() => NAMES.every((c, i) => reader.seen.get(c)!.heartbeats.length >= from[i]! + 3), {
      timeoutMs: CATCH_UP_MS,
      what: 'three more heartbeats on every channel',
    });
    reader.close();
  });
});
