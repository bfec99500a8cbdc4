/**
 * A TCP port nobody listens on right now, for servers a test starts itself.
 */
import net from 'node:net';

/**
 * Ask the kernel for a free port on 127.0.0.1 (bind to 0, read, close).
 * Another process could take it before the caller binds; tests accept that
 * tiny race rather than hard-coding ports shared with other suites.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port assigned');
  return address.port;
}

/**
 * Whether something accepts a TCP connection on `host:port` within `timeoutMs`.
 *
 * @example
 * ```ts
 * if (await canConnect('127.0.0.1', 5432)) useServer();
 * ```
 */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Wait until something accepts TCP connections on `port`, up to `timeoutMs`.
 *
 * @example
 * ```ts
 * await waitForPort(6400, 10_000);
 * ```
 */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(host, port))) {
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
