/**
 * A redis-server of the test's own on a free port, to stop and start at will
 * (the shared Redis on 6379 is never touched).
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** True when a redis-server binary can be run; with REQUIRE_SERVICES=1 its absence is an error. */
export function redisServerAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    if (process.env.REQUIRE_SERVICES === '1')
      throw new Error('REQUIRE_SERVICES=1 but redis-server is missing', { cause: err });
    return false;
  }
}

/** An own Redis server. */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** Start it (again) and wait until it accepts connections. */
  start(): Promise<void>;
  /** `SHUTDOWN NOSAVE`, and wait until the port is closed. */
  stop(): Promise<void>;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server: timed out waiting until ${what}`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * A redis-server without persistence on a free port.
 *
 * @example
 * ```ts
 * const redis = await ownRedis();
 * await redis.stop(); await redis.start();
 * ```
 */
export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = os.tmpdir();
  const server: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      execFileSync('redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'yes',
        '--dir',
        dir,
        '--pidfile',
        path.join(dir, `creatorflow-redis-${port}.pid`),
        // Daemonized with no log file, it logs nowhere: nothing is left behind.
        '--logfile',
        '',
      ]);
      await until(() => connects(port), `port ${port} accepts connections`);
    },
    async stop() {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
      } catch {
        // redis-cli reports the connection the shutdown closed as an error.
      }
      await until(async () => !(await connects(port)), `port ${port} is closed`);
    },
  };
  await server.start();
  return server;
}
