/**
 * `openEventStream` over a real `node:http` socket: the frames written in one
 * tick go to the compressor as one write (one compression job on libuv's
 * thread pool and one sync flush, not one per frame: on a loaded machine a
 * fan-out's burst of small frames, heartbeats behind them, waited out one
 * round trip per frame), every frame still arrives, and a write refused for
 * want of room is always followed by `onDrain`.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EventStreamOutput, openEventStream } from '../../src/realtime/sse-stream.js';
import { waitFor } from '../support/wait.js';

/** What the current test does with the stream it is served. */
let serve: (res: ServerResponse) => void = () => undefined;
let server: Server;
let base: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((_req, res) => serve(res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterEach(() => {
  for (const s of sockets) s.destroy();
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Open a stream; resolves with the response as the client reads it (decompressed) and the server's output. */
async function open(gzip: boolean, onDrain: () => void = () => undefined) {
  const served = new Promise<{ out: EventStreamOutput; compressions: () => number }>((resolve) => {
    serve = (res) => {
      let compressor: Transform | null = null;
      res.on('pipe', (source: Transform) => (compressor = source));
      const out = openEventStream(res, { gzip, retryMs: 1000, onDrain });
      // Every job the compressor runs is one call of its _transform.
      let jobs = 0;
      if (compressor) {
        const z: Transform = compressor;
        const transform = z._transform.bind(z);
        z._transform = (chunk, encoding, callback) => {
          jobs++;
          transform(chunk, encoding, callback);
        };
      }
      resolve({ out, compressions: () => jobs });
    };
  });
  const req = request(`http://${base}/`, { headers: { 'accept-encoding': gzip ? 'gzip' : 'identity' } });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  expect(res.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
  let text = '';
  const body = gzip ? res.pipe(createGunzip()) : res;
  body.setEncoding('utf8');
  body.on('data', (chunk: string) => (text += chunk));
  return { ...(await served), received: () => text };
}

const frame = (i: number) => `id: ${i}\nevent: heartbeat\ndata: {"type":"heartbeat","n":${i}}\n\n`;

describe('openEventStream', () => {
  it('sends the frames of one tick to the compressor as one write, and every frame arrives', async () => {
    const { out, compressions, received } = await open(true);
    await waitFor(() => received().includes('retry: 1000'), { what: 'the retry hint' });
    const before = compressions();
    for (let i = 0; i < 200; i++) expect(out.write(frame(i))).toBe(true);
    await waitFor(() => received().includes(frame(199)), { what: 'the last frame' });
    expect(compressions() - before).toBe(1);
    expect(received().match(/event: heartbeat/g)).toHaveLength(200);
    // The next tick's frames are the next write: nothing waits for more.
    out.write(frame(200));
    await waitFor(() => received().includes(frame(200)), { what: 'a frame of its own' });
    expect(compressions() - before).toBe(2);
  });

  it.each([
    ['gzip', true],
    ['identity', false],
  ])('follows a write refused for want of room with onDrain (%s)', async (_name, gzip) => {
    let drains = 0;
    const { out, received } = await open(gzip, () => drains++);
    await waitFor(() => received().includes('retry: 1000'), { what: 'the retry hint' });
    // One frame larger than the high-water mark: refused, though the socket may take it at once.
    const big = `event: data\ndata: ${'x'.repeat(64 * 1024)}\n\n`;
    expect(out.write(big)).toBe(false);
    await waitFor(() => drains > 0, { what: 'onDrain after a refused write' });
    await waitFor(() => received().endsWith(big), { what: 'the large frame' });
    expect(out.write(frame(1))).toBe(true);
    await waitFor(() => received().endsWith(frame(1)), { what: 'the next frame' });
  });

  it('end() sends what is queued first', async () => {
    const { out, received } = await open(true);
    out.write(frame(1));
    out.write(frame(2));
    out.end();
    await waitFor(() => received().endsWith(frame(2)), { what: 'both frames before the end' });
  });
});
