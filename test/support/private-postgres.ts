/**
 * A PostgreSQL server of the test's own, on a free port and a temporary data
 * directory, that the test may restart, stop and start at will — fault tests
 * must never restart the shared server on 5432 that every other suite uses.
 *
 * Runs the distribution's `initdb` / `pg_ctl` (`/usr/lib/postgresql/<v>/bin`,
 * or `PG_BIN`), as the `postgres` user when the test runs as root (PostgreSQL
 * refuses to run as root). Trust authentication on 127.0.0.1 only; fsync off.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** How `pg_ctl` stops the server: `fast` (57P01 to every session) or `immediate` (crash, recovery on start). */
export type PgStopMode = 'smart' | 'fast' | 'immediate';

/** A running private server. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** `pg_ctl restart`: every session gets 57P01 (fast) and the server is back when this resolves. */
  restart(mode?: PgStopMode): Promise<void>;
  /** `pg_ctl stop`. */
  stop(mode?: PgStopMode): Promise<void>;
  /** `pg_ctl start` (after {@link stop}); resolves when the server accepts connections. */
  start(): Promise<void>;
  /** Stop the server (immediate) and delete its data directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * The directory of `initdb` and `pg_ctl`, or null when PostgreSQL's server binaries are not installed.
 *
 * @example
 * ```ts
 * describe.skipIf(postgresBinDir() === null)('across a restart', () => { … });
 * ```
 */
export function postgresBinDir(): string | null {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'pg_ctl')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** argv that runs `binary` as the postgres user when we are root. */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

// Servers still running when the test process exits (a crash, a missed
// afterAll): stopped synchronously so none outlives the run.
const live = new Set<() => void>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const stop of live) stop();
  });
}

/**
 * Create a data directory, start a server on a free port and wait until it
 * accepts connections. Always pair with `close()` (e.g. in `afterAll`).
 *
 * @example
 * ```ts
 * const pg = await startPrivatePostgres();
 * const pool = new Pool({ connectionString: pg.url });
 * await pg.restart(); // idle pooled clients get 57P01
 * await pg.close();
 * ```
 */
export async function startPrivatePostgres(options: { port?: number } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (bin === null) throw new Error('PostgreSQL server binaries not found (set PG_BIN)');
  const dataDir = mkdtempSync(join(tmpdir(), 'cf-private-pg-'));
  if (isRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(dataDir, uid, gid);
  }
  const port = options.port ?? (await freePort());
  const pgCtl = join(bin, 'pg_ctl');
  const exec = async (binary: string, args: string[]) => {
    const [file, argv] = asPostgres(binary, args);
    await run(file, argv, { timeout: 60_000 });
  };

  await exec(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  // Sockets in the data directory: the default /var/run/postgresql is the shared server's.
  const serverOptions = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const ctl = (action: string, extra: string[] = []) =>
    exec(pgCtl, [action, '-D', dataDir, '-w', '-t', '60', ...extra]);
  const startServer = () => ctl('start', ['-o', serverOptions, '-l', join(dataDir, 'server.log')]);

  let closed = false;
  const stopSync = () => {
    if (closed || !existsSync(join(dataDir, 'postmaster.pid'))) return;
    const [file, argv] = asPostgres(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
    try {
      execFileSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // Already down.
    }
  };
  installExitHook();
  live.add(stopSync);

  try {
    await startServer();
  } catch (err) {
    live.delete(stopSync);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    restart: (mode = 'fast') =>
      ctl('restart', ['-m', mode, '-o', serverOptions, '-l', join(dataDir, 'server.log')]),
    stop: (mode = 'fast') => ctl('stop', ['-m', mode]),
    start: startServer,
    async close() {
      if (closed) return;
      stopSync();
      closed = true;
      live.delete(stopSync);
      if (existsSync(dataDir) && statSync(dataDir).isDirectory())
        rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
