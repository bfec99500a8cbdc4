/**
 * A private Redis server for one chaos run (no persistence), so stopping it
 * never touches the shared server other suites use.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { runCommand } from './run-command.js';

/** A private Redis. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  /** `SHUTDOWN NOSAVE`: every client connection drops at once. */
  stop(): Promise<void>;
  /** Stop and delete its directory. Safe to call twice. */
  destroy(): Promise<void>;
  /** The same, synchronously: for the runner's exit hook. */
  destroySync(): void;
}

/** True when `redis-server` and `redis-cli` are on the PATH. */
export function redisAvailable(): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  return ['redis-server', 'redis-cli'].every((tool) => dirs.some((d) => existsSync(path.join(d, tool))));
}

/**
 * Start `redis-server` daemonized on a free port.
 *
 * @example
 * ```ts
 * const redis = await startPrivateRedis();
 * await redis.stop(); await redis.start();
 * await redis.destroy();
 * ```
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-redis-'));
  const port = await freePort();
  const cli = (...args: string[]) => runCommand('redis-cli', ['-p', String(port), ...args]);
  let destroyed = false;
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      await runCommand('redis-server', [
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
        '--logfile',
        path.join(dir, 'redis.log'),
      ]);
      // Daemonized: the command returns before the server accepts connections.
      for (let i = 0; i < 100; i++) {
        if ((await cli('ping').catch(() => '')).trim() === 'PONG') return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`redis-server on port ${port} did not answer PING`);
    },
    async stop() {
      // redis-cli reports the dropped connection of a successful SHUTDOWN as an error.
      await cli('shutdown', 'nosave').catch(() => undefined);
      for (let i = 0; i < 100; i++) {
        if ((await cli('ping').catch(() => '')).trim() !== 'PONG') return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`redis-server on port ${port} did not stop`);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await redis.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    destroySync() {
      if (destroyed) return;
      destroyed = true;
      try {
        execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
      } catch {
        // Not running, or the dropped connection of a successful SHUTDOWN.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
