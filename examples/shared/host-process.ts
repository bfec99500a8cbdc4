/**
 * Start an example host as a child process, the way an operator (or the
 * fault suite) runs many: `node --import tsx examples/<framework>-host/index.ts`
 * with its configuration in the environment; ready when it prints
 * `listening <url>`. Used by `HOSTS=N npm run demo`, the end-to-end
 * benchmark and the many-hosts tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Which host. */
export type HostFramework = 'express' | 'fastify';

/** Options of {@link spawnHost}. */
export interface SpawnHostOptions {
  framework?: HostFramework;
  /** Added to this process's environment (`PORT`, `HOST_ID`, `DATABASE_URL`, …). */
  env: Readonly<Record<string, string | undefined>>;
  /** Extra Node.js flags, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: readonly string[];
  /** Longest wait for `listening`. Default 120,000 ms. */
  timeoutMs?: number;
  /** Each stderr line (the host's log). Default: kept in `stderr` only. */
  onLog?: (line: string) => void;
}

/** A host process. */
export interface HostProcess {
  /** Base URL from its `listening` line. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Its stderr so far (the last 2,000 lines). */
  readonly stderr: readonly string[];
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Send SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no cleanup (leases are left to expire). */
  kill(): Promise<number | null>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Spawn a host and wait until it listens.
 *
 * @example
 * ```ts
 * const a = await spawnHost({ env: { PORT: '0', HOST_ID: 'a', DATABASE_URL, REDIS_URL } });
 * await fetch(`${a.url}/healthz`);
 * await a.stop(); // 0
 * ```
 */
export async function spawnHost(options: SpawnHostOptions): Promise<HostProcess> {
  const framework = options.framework ?? 'express';
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', `examples/${framework}-host/index.ts`],
    {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  lines(child.stderr!, (line) => {
    stderr.push(line);
    if (stderr.length > 2000) stderr.shift();
    options.onLog?.(line);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`host did not listen within ${options.timeoutMs ?? 120_000} ms:\n${stderr.join('\n')}`),
      );
    }, options.timeoutMs ?? 120_000);
    lines(child.stdout!, (line) => {
      const match = /^listening (\S+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1]!);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${code}) before listening:\n${stderr.join('\n')}`));
    });
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  return { url, child, stderr, exited, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
}
