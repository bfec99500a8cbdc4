/**
 * A TypeScript program run as a separate process (its own process group, so
 * a SIGKILL takes down npx, tsx and node together, like a crashed host), with
 * line-based stdin/stdout to talk to it.
 */
import { spawn } from 'node:child_process';

/** A running child program. */
export interface ChildProgram {
  /** Resolves with the first stdout line matching `pattern` (already printed or to come). */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Every complete stdout line so far. */
  lines(): readonly string[];
  /** Write one line to its stdin. */
  send(line: string): void;
  /** Signal the whole process group. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code when the process group leader exits. */
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/**
 * Start `npx tsx <script> …args` with `env` added to this process's environment.
 *
 * @example
 * ```ts
 * const child = runProgram(fileURLToPath(new URL('./fixtures/allocator.ts', import.meta.url)), { SCHEMA: schema });
 * await child.line(/^ready$/);
 * ```
 */
export function runProgram(
  script: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): ChildProgram {
  const child = spawn('npx', ['tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
      for (const wake of waiters) wake();
    }),
  );
  return {
    line(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${err}`));
        }, timeoutMs);
        const check = () => {
          for (const line of lines) {
            const match = pattern.exec(line);
            if (match) {
              clearTimeout(timer);
              waiters.delete(check);
              return resolve(match);
            }
          }
          if (child.exitCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`exited (${child.exitCode}) without a line matching ${pattern}: ${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    lines: () => lines,
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    kill(signal) {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    },
    exited,
    stderr: () => err,
  };
}
