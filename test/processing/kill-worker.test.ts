/**
 * Leases across processes: a worker holding the processor is SIGKILLed in the
 * middle of a batch; another takes over and every event is applied exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/core/sql-client.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';
import { appendMany } from './support.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const EVENTS = 400;

interface Line {
  worker: string;
  event: string;
  [key: string]: unknown;
}

class Worker {
  readonly lines: Line[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  #listeners: (() => void)[] = [];

  constructor(id: string, schema: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: {
        ...process.env,
        DATABASE_URL: postgresUrl()!,
        SCHEMA: schema,
        WORKER_ID: id,
        LEASE_TTL_MS: '2000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as Line);
      } catch {
        return; // not one of ours
      }
      for (const l of this.#listeners) l();
    });
  }

  count(event: string): number {
    return this.lines.filter((l) => l.event === event).length;
  }

  /** Resolve when `predicate` holds for the lines so far. */
  until(predicate: (w: Worker) => boolean, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out; lines: ${JSON.stringify(this.lines.slice(-5))}`)),
        timeoutMs,
      );
      const check = () => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((l) => l !== check);
        resolve();
      };
      this.#listeners.push(check);
      check();
    });
  }
}

/** 'handling' lines after the last 'batch' line: where the worker is within its batch. */
function sinceLastBatch(w: Worker): number {
  let n = 0;
  for (let i = w.lines.length - 1; i >= 0 && w.lines[i]!.event !== 'batch'; i--)
    if (w.lines[i]!.event === 'handling') n++;
  return n;
}

describe.skipIf(!postgresEngine.available)('processor lease across processes (PostgreSQL)', () => {
  let db: TestDatabase;
  let store: EventStore;
  const workers: Worker[] = [];

  beforeAll(async () => {
    db = await postgresEngine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    await db.sql.query(
      `CREATE TABLE ${quoteIdent(db.schema)}.applied (position bigint PRIMARY KEY, worker text NOT NULL)`,
    );
    await appendMany(store, 'order-1', EVENTS, 'order.placed', (i) => ({ i }), 40);
  });

  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGTERM');
        await w.exited;
      }
    }
    await store.close();
    await db.close();
  });

  it('a SIGKILLed holder mid-batch is replaced and every event is applied exactly once', async () => {
    const a = new Worker('a', db.schema);
    workers.push(a);
    await a.until((w) => w.count('lease_acquired') === 1);
    const b = new Worker('b', db.schema);
    workers.push(b);
    await b.until((w) => w.count('started') === 1);

    // Kill A after a few committed batches, early in the next one (≥ 15 events × 5 ms before it could commit).
    await a.until((w) => w.count('batch') >= 3 && sinceLastBatch(w) >= 1 && sinceLastBatch(w) <= 5);
    a.child.kill('SIGKILL');
    await a.exited;
    const committedByA = a.count('batch');

    await b.until((w) => w.count('lease_acquired') === 1);
    await b.until((w) => w.count('caught_up') >= 1);

    const { rows } = await db.sql.query<{ worker: string; n: number }>(
      `SELECT worker, count(*)::int AS n FROM ${quoteIdent(db.schema)}.applied GROUP BY worker ORDER BY worker`,
    );
    const byWorker = Object.fromEntries(rows.map((r) => [r.worker, r.n]));
    expect((byWorker.a ?? 0) + (byWorker.b ?? 0)).toBe(EVENTS);
    expect(byWorker.a).toBe(committedByA * 20); // whole batches only: A's half-done batch was rolled back
    expect(byWorker.b).toBeGreaterThan(0);
    // A was killed mid-batch: it had started handling events it never committed.
    const handledByA = a.lines.filter((l) => l.event === 'handling').length;
    expect(handledByA).toBeGreaterThan(byWorker.a!);
    expect(
      [...a.lines, ...b.lines].filter((l) => l.event === 'dead_lettered' || l.event === 'error'),
    ).toEqual([]);
    const positions = await db.sql.query<{ n: number; distinct: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT position)::int AS distinct FROM ${quoteIdent(db.schema)}.applied`,
    );
    expect(positions.rows[0]).toEqual({ n: EVENTS, distinct: EVENTS });
  });
});
