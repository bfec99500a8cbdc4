/**
 * Opening an SSE response: headers, optional gzip flushed with each tick's frames, and
 * the `retry:` hint. Shared by the single-subscription and multiplexed streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip, constants as zlibConstants } from 'node:zlib';

/**
 * Whether to gzip this response: allowed by the host and accepted by the client.
 *
 * @example
 * ```ts
 * const gzip = acceptsGzip(req, options.compress);
 * ```
 */
export function acceptsGzip(req: IncomingMessage, compress: boolean | undefined): boolean {
  return compress !== false && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

/**
 * Where an SSE handler writes its frames (see {@link openEventStream}).
 *
 * @example
 * ```ts
 * const ok = out.write(formatSseFrame(envelope)); // false: backed up, `onDrain` follows
 * ```
 */
export interface EventStreamOutput {
  /** Queue one frame for this tick's write; false when the connection is backed up (`onDrain` follows). */
  write(text: string): boolean;
  /** Send what is queued, then end the response. */
  end(): void;
}

/**
 * Send the event-stream headers and return where to write frames. The frames
 * written in one tick (a fan-out writes one per subscription of a
 * multiplexed stream) go out as one write: with gzip, one compression job
 * and one sync flush instead of one per frame. Each job waits for libuv's
 * thread pool and then for the event loop, so on a loaded machine a burst
 * of small frames sent one by one held the stream (heartbeats too) behind
 * hundreds of round trips. `onDrain` runs when a backed-up stream can take more.
 *
 * @example
 * ```ts
 * const out = openEventStream(res, { gzip: true, retryMs: 1000, onDrain: () => handle.drained() });
 * out.write(formatSseFrame(envelope));
 * ```
 */
export function openEventStream(
  res: ServerResponse,
  options: { gzip: boolean; retryMs: number; onDrain: () => void },
): EventStreamOutput {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...(options.gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
  });
  let out: Writable = res;
  if (options.gzip) {
    // Every write is sync-flushed, so each tick's frames leave at once. A smaller
    // window and memLevel keep a connection's zlib state near 40 KB instead of ~300 KB.
    const z = createGzip({ flush: zlibConstants.Z_SYNC_FLUSH, windowBits: 13, memLevel: 6 });
    z.pipe(res);
    out = z;
  }
  let queued: string[] = [];
  let queuedLength = 0;
  /** A write answered false while the stream itself could take more: its `drain` may never come. */
  let drainOwed = false;
  const flush = (): void => {
    if (queued.length === 0) return;
    const text = queued.length === 1 ? queued[0]! : queued.join('');
    queued = [];
    queuedLength = 0;
    if (out.destroyed || out.writableEnded) return;
    if (out.write(text) && drainOwed) {
      drainOwed = false;
      options.onDrain();
    }
  };
  // Registered on the stream written to: with gzip the compressor, whose 'drain' unblocks a slow reader.
  out.on('drain', () => {
    drainOwed = false;
    options.onDrain();
  });
  res.flushHeaders();
  const write = (text: string): boolean => {
    if (queued.length === 0) process.nextTick(flush);
    queued.push(text);
    queuedLength += text.length;
    const room = out.writableLength + queuedLength < out.writableHighWaterMark;
    if (!room) drainOwed = true;
    return room;
  };
  write(`retry: ${options.retryMs}\n\n`);
  return {
    write,
    end: () => {
      flush();
      if (!out.writableEnded) out.end();
    },
  };
}
