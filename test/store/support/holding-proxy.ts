/**
 * A TCP proxy in front of PostgreSQL that holds back the first client message
 * carrying a marker (an event id), as a slow or partitioned network would:
 * the client gives up on the statement, and the server receives it later —
 * after the client has recovered. A dropped or timed-out statement can still
 * arrive and run; this makes that happen on demand.
 */
import net from 'node:net';

/** A running proxy; `port` is on 127.0.0.1. */
export interface HoldingProxy {
  port: number;
  /** Resolves once a message carrying the marker was held back. */
  held: Promise<void>;
  /**
   * Deliver what was held back (and anything the client sent after it, its
   * goodbye included); resolves once the server has closed that connection,
   * so the late statement has run and ended.
   */
  release(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Proxy `target`, holding the client-to-server bytes of the first connection
 * that sends `marker`, from the chunk carrying it on, until `release()`.
 *
 * @example
 * ```ts
 * const proxy = await holdingProxy({ host: '127.0.0.1', port: 5432 }, eventId);
 * // point a pool at 127.0.0.1:proxy.port; its first statement with eventId waits
 * await proxy.held;
 * await proxy.release();
 * ```
 */
export async function holdingProxy(
  target: { host: string; port: number },
  marker: string,
): Promise<HoldingProxy> {
  const needle = Buffer.from(marker);
  const sockets = new Set<net.Socket>();
  let seen = false;
  let onHeld!: () => void;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  let releaseHeld: (() => Promise<void>) | undefined;

  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    upstream.on('data', (chunk) => {
      if (!client.destroyed) client.write(chunk);
    });
    upstream.on('close', () => client.destroy());
    let holding: Buffer[] | undefined;
    let clientEnded = false;
    const upstreamClosed = new Promise<void>((resolve) => upstream.on('close', () => resolve()));
    client.on('data', (chunk) => {
      if (!holding && !seen && chunk.includes(needle)) {
        seen = true;
        holding = [];
        releaseHeld = async () => {
          for (const part of holding!) upstream.write(part);
          holding = undefined;
          if (clientEnded) upstream.end();
          await upstreamClosed;
        };
        onHeld();
      }
      if (holding) holding.push(chunk);
      else upstream.write(chunk);
    });
    client.on('close', () => {
      clientEnded = true;
      if (!holding) upstream.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    held,
    async release() {
      if (!releaseHeld) throw new Error('nothing is held');
      await releaseHeld();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
