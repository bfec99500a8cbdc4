/**
 * A Redis server of the test's own (`redis-server` on a free port, no
 * persistence) that the test may stop and start again on the same port —
 * fault tests must never stop the shared server on 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, waitForPort } from './free-port.js';

/** A private Redis server. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Stop the server (SIGTERM, wait for exit); clients see the connection drop. */
  stop(): Promise<void>;
  /** Start it again on the same port (empty: nothing persists); resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stop for good. Idempotent. */
  close(): Promise<void>;
}

/**
 * Path of `redis-server` (`REDIS_SERVER` or `/usr/bin/redis-server`), or null when absent.
 *
 * @example
 * ```ts
 * describe.skipIf(redisServerBinary() === null)('across a Redis outage', () => { … });
 * ```
 */
export function redisServerBinary(): string | null {
  const path = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
  return existsSync(path) ? path : null;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Start `redis-server` on a free port of 127.0.0.1 and wait until it accepts
 * connections. Always pair with `close()`.
 *
 * @example
 * ```ts
 * const redis = await startPrivateRedis();
 * await redis.stop();   // the host's limiter must degrade
 * await redis.start();
 * await redis.close();
 * ```
 */
export async function startPrivateRedis(options: { port?: number } = {}): Promise<PrivateRedis> {
  const binary = redisServerBinary();
  if (binary === null) throw new Error('redis-server not found (set REDIS_SERVER)');
  const port = options.port ?? (await freePort());
  let child: ChildProcess | null = null;
  let closed = false;
  installExitHook();

  async function start(): Promise<void> {
    if (child !== null) return;
    const proc = spawn(
      binary!,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    live.add(proc);
    proc.once('exit', () => {
      live.delete(proc);
      if (child === proc) child = null;
    });
    await waitForPort(port, 15_000);
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (proc === null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== null;
    },
    stop,
    start: () => (closed ? Promise.reject(new Error('closed')) : start()),
    async close() {
      closed = true;
      await stop();
    },
  };
}
