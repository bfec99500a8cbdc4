/**
 * A TCP port nothing listens on right now (the OS picks it), for the private
 * servers and the hosts of a chaos run.
 */
import net from 'node:net';

/**
 * Ask the OS for a free port on 127.0.0.1.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
