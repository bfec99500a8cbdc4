/**
 * Opening an SSE response: headers, optional gzip flushed per message, and
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
 * Send the event-stream headers and return the stream to write frames to
 * (the gzip stream when compressing). `onDrain` runs when a backed-up
 * stream can take more.
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
): Writable {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...(options.gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
  });
  let out: Writable = res;
  if (options.gzip) {
    // Every write is sync-flushed, so each message leaves at once. A smaller
    // window and memLevel keep a connection's zlib state near 40 KB instead of ~300 KB.
    const z = createGzip({ flush: zlibConstants.Z_SYNC_FLUSH, windowBits: 13, memLevel: 6 });
    z.pipe(res);
    out = z;
  }
  // Registered on the stream written to: with gzip the compressor, whose 'drain' unblocks a slow reader.
  out.on('drain', options.onDrain);
  res.flushHeaders();
  out.write(`retry: ${options.retryMs}\n\n`);
  return out;
}
