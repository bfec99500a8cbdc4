/**
 * What both hosts return when started, and a tracker of realtime
 * connections (so a demo or a test can cut them server-side).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Host, HostOptions } from './host.js';

/** Options of `startExpressHost` / `startFastifyHost`. */
export interface StartHostOptions extends HostOptions {
  /** Default `process.env.PORT` or 3000; 0 picks a free port. */
  port?: number;
  /** Interface to bind. Default `process.env.HOST` or `'127.0.0.1'` (this machine only). */
  hostname?: string;
}

/** A listening host. */
export interface RunningHost {
  /** `http://host:port`. */
  readonly url: string;
  readonly host: Host;
  readonly server: Server;
  /** Destroy every open SSE / WebSocket connection; returns how many. */
  dropRealtimeConnections(): number;
  close(): Promise<void>;
}

/**
 * Tracks the sockets of realtime connections.
 *
 * @example
 * ```ts
 * const tracker = new ConnectionTracker();
 * tracker.add(req.socket);
 * tracker.dropAll();
 * ```
 */
export class ConnectionTracker {
  readonly #sockets = new Set<Socket>();

  add(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  dropAll(): number {
    const n = this.#sockets.size;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    return n;
  }
}

/** The port to listen on: the option, else `PORT`, else 3000. */
export function resolvePort(port: number | undefined): number {
  if (port !== undefined) return port;
  const fromEnv = Number(process.env.PORT);
  return Number.isInteger(fromEnv) && fromEnv >= 0 ? fromEnv : 3000;
}

/**
 * The interface to bind: the option, else `HOST`, else 127.0.0.1 — a demo
 * with demo credentials must not be reachable from the network by default.
 *
 * @example
 * ```ts
 * server.listen(resolvePort(undefined), resolveHostname(undefined));
 * ```
 */
export function resolveHostname(hostname: string | undefined): string {
  return hostname ?? (process.env.HOST || '127.0.0.1');
}

/** The URL of a listening server: `localhost` when bound to every interface, else the bound address. */
export function serverUrl(server: Server): string {
  const address = server.address();
  if (typeof address !== 'object' || address === null) return 'http://localhost';
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const hostname = wildcard
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${hostname}:${address.port}`;
}
