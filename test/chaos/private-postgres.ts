/**
 * A private PostgreSQL cluster for one chaos run: its own data directory and
 * port, so restarting or crashing it never touches the shared server other
 * suites use. As root the tools run as the `postgres` user (initdb refuses root).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { runCommand } from './run-command.js';

/** How the server stops: `fast` is a clean shutdown, `immediate` a crash (recovery on start). */
export type StopMode = 'fast' | 'immediate';

/** A running private cluster. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  start(): Promise<void>;
  stop(mode: StopMode): Promise<void>;
  /** Stop (crash) and delete the data directory. Safe to call twice. */
  destroy(): Promise<void>;
  /** The same, synchronously: for the runner's exit hook, when nothing async runs any more. */
  destroySync(): void;
}

/** The directory of `initdb` and `pg_ctl` (`PG_BIN`, else the newest /usr/lib/postgresql/N/bin), or null. */
export function postgresBinDir(): string | null {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return existsSync(path.join(fromEnv, 'pg_ctl')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : path.join(root, versions[0], 'bin');
}

const asRoot = process.getuid?.() === 0;

/** A PostgreSQL tool's command line, as `postgres` when we are root. */
function pgCommand(bin: string, tool: string, args: readonly string[]): [string, string[]] {
  const file = path.join(bin, tool);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, [...args]];
}

function pgTool(bin: string, tool: string, args: readonly string[]): Promise<string> {
  return runCommand(...pgCommand(bin, tool, args));
}

async function ownedByPostgres(dir: string): Promise<void> {
  if (!asRoot) return;
  const uid = Number(await runCommand('id', ['-u', 'postgres']));
  const gid = Number(await runCommand('id', ['-g', 'postgres']));
  await chown(dir, uid, gid);
}

/**
 * initdb a fresh cluster in a temporary directory, start it on a free port
 * and create `database`.
 *
 * @example
 * ```ts
 * const postgres = await startPrivatePostgres('chaos');
 * await postgres.stop('immediate'); await postgres.start();
 * await postgres.destroy();
 * ```
 */
export async function startPrivatePostgres(database: string): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (set PG_BIN)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-pg-'));
  await ownedByPostgres(dir);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  // fsync off: a crash here is the server process dying, the OS page cache survives it.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let destroyed = false;
  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    dataDir,
    async start() {
      await pgTool(bin, 'pg_ctl', [
        '-D',
        dataDir,
        '-o',
        options,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        'start',
      ]);
    },
    async stop(mode) {
      await pgTool(bin, 'pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await cluster.stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    destroySync() {
      if (destroyed) return;
      destroyed = true;
      try {
        execFileSync(...pgCommand(bin, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']), {
          stdio: 'ignore',
        });
      } catch {
        // Not running.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await pgTool(bin, 'initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await cluster.start();
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}
