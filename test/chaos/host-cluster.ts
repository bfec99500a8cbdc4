/**
 * The host processes of a chaos run. Each runs in its own process group (a
 * SIGKILL takes the whole process down, like a crashed machine) on a fixed
 * port, so clients reconnect to the same address after a restart. A host that
 * exits without being killed by the injector is recorded (`expected: false`)
 * and started again, so the rest of the run still has its hosts. One slot
 * never has two processes: starts are serialised per slot, and every process
 * ever spawned is tracked until it exits, so none outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { freePort } from './free-port.js';
import type { HistoryWriter } from './history.js';

/** Options of {@link HostCluster.create}. */
export interface HostClusterOptions {
  count: number;
  /** The host's entry module (run with `node --import tsx`). */
  entry: string;
  /** Environment of host `index` (its PORT is added). */
  env: (index: number) => Record<string, string>;
  logDir: string;
  history: HistoryWriter;
  /** Bound on a start, ms. Default 180,000 (a loaded machine boots tsx slowly). */
  readyTimeoutMs?: number;
}

interface Slot {
  child: ChildProcess | undefined;
  ready: boolean;
  /** False after the injector killed it (until started again) and after the final stop. */
  wanted: boolean;
  /** The start in progress, if any. */
  starting: Promise<void> | undefined;
  log: WriteStream;
}

const READY = /(?:listening|host on) (https?:\/\/\S+)/;

const gone = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * Start, kill and restart host processes.
 *
 * @example
 * ```ts
 * const cluster = await HostCluster.create({ count: 3, entry, env, logDir, history });
 * await cluster.startAll();
 * await cluster.kill(1); await cluster.start(1);
 * await cluster.stopAll();
 * ```
 */
export class HostCluster {
  readonly ports: readonly number[];
  readonly #options: HostClusterOptions;
  readonly #slots: Slot[];
  /** Every spawned process that has not exited yet. */
  readonly #alive = new Set<ChildProcess>();
  #stopping = false;

  private constructor(options: HostClusterOptions, ports: number[]) {
    this.#options = options;
    this.ports = ports;
    this.#slots = ports.map((_, i) => ({
      child: undefined,
      ready: false,
      wanted: false,
      starting: undefined,
      log: createWriteStream(path.join(options.logDir, `host-${i}.log`), { flags: 'a' }),
    }));
  }

  static async create(options: HostClusterOptions): Promise<HostCluster> {
    const ports: number[] = [];
    for (let i = 0; i < options.count; i++) ports.push(await freePort());
    return new HostCluster(options, ports);
  }

  get size(): number {
    return this.ports.length;
  }

  url(index: number): string {
    return `http://127.0.0.1:${this.ports[index]}`;
  }

  /** True when every host listens. */
  allReady(): boolean {
    return this.#slots.every((s) => s.ready);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.ports.map((_, i) => this.start(i)));
  }

  /** Start host `index` (or join the start in progress) and wait until it listens; retried until the bound. */
  start(index: number): Promise<void> {
    const slot = this.#slots[index]!;
    slot.wanted = true;
    if (slot.ready) return Promise.resolve();
    slot.starting ??= this.#startLoop(index).finally(() => (slot.starting = undefined));
    return slot.starting;
  }

  /** SIGKILL host `index` (its whole process group, even mid-start) and wait until it is gone. */
  async kill(index: number): Promise<void> {
    const slot = this.#slots[index]!;
    slot.wanted = false;
    const child = slot.child;
    if (child && !gone(child)) {
      const exited = new Promise((r) => child.once('exit', r));
      signalGroup(child, 'SIGKILL');
      await exited;
    }
    await slot.starting?.catch(() => undefined);
  }

  /** SIGTERM every host (SIGKILL after `graceMs`); no restarts from now on. */
  async stopAll(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots) slot.wanted = false;
    await Promise.all(
      [...this.#alive].map(async (child) => {
        const exited = new Promise((r) => child.once('exit', r));
        signalGroup(child, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all(this.#slots.map((s) => s.starting?.catch(() => undefined)));
    for (const slot of this.#slots) if (!slot.log.writableEnded) slot.log.end();
  }

  /** Last resort on any exit path of the runner: no process of ours outlives it. */
  killAllNow(): void {
    this.#stopping = true;
    for (const child of this.#alive) signalGroup(child, 'SIGKILL');
  }

  async #startLoop(index: number): Promise<void> {
    const slot = this.#slots[index]!;
    const deadline = Date.now() + (this.#options.readyTimeoutMs ?? 180_000);
    for (;;) {
      if (this.#stopping || !slot.wanted) throw new Error(`host ${index} is not to run`);
      try {
        return await this.#spawn(index, deadline);
      } catch (err) {
        // Typically the database is still down: try again until the bound.
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  #spawn(index: number, deadline: number): Promise<void> {
    const slot = this.#slots[index]!;
    const { history } = this.#options;
    const env = { ...process.env, ...this.#options.env(index), PORT: String(this.ports[index]) };
    const child = spawn(process.execPath, ['--import', 'tsx', this.#options.entry], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#alive.add(child);
    slot.child = child;
    slot.ready = false;
    child.stderr.pipe(slot.log, { end: false });
    return new Promise<void>((resolve, reject) => {
      let out = '';
      let ready = false;
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), Math.max(0, deadline - Date.now()));
      child.stdout.on('data', (chunk: Buffer) => {
        if (!slot.log.writableEnded) slot.log.write(chunk);
        if (ready) return;
        out += chunk.toString();
        if (READY.test(out)) {
          clearTimeout(timer);
          ready = slot.ready = true;
          history.record({ type: 'host', host: index, event: 'ready', pid: child.pid! });
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        this.#alive.delete(child);
        clearTimeout(timer);
        if (slot.child === child) slot.ready = false;
        if (!ready) {
          history.record({ type: 'host', host: index, event: 'start_failed', code, signal });
          reject(new Error(`host ${index} exited (${code ?? signal}) before it was ready`));
          return;
        }
        const expected = !slot.wanted || this.#stopping;
        history.record({ type: 'host', host: index, event: 'exit', pid: child.pid!, expected, code, signal });
        if (!expected) void this.start(index).catch(() => undefined);
      });
    });
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
