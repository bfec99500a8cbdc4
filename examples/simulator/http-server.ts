/**
 * The small HTTP helpers the simulator's servers (mock Open API, fake
 * providers) share.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Answer with a JSON body.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { code: 0 });
 * ```
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * A request's whole body as text.
 *
 * @example
 * ```ts
 * const text = await readBody(req);
 * ```
 */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Listen on `port` (0 = any free port) of `host`; resolves with the base URL.
 *
 * @example
 * ```ts
 * const url = await listen(createServer(handler), 0); // 'http://127.0.0.1:41234'
 * ```
 */
export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return `http://${host}:${actual}`;
}

/**
 * Close a server and every connection it holds.
 *
 * @example
 * ```ts
 * await closeServer(server);
 * ```
 */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
