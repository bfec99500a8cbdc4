/**
 * Leases across processes: a worker holding the processor is SIGKILLed in the
 * middle of a batch; another takes over and every event is applied exactly
 * once. And the takeover comes when the killed holder's lease has expired —
 * never before (database clock), and not much after.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/core/sql-client.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { runProgram, type ChildProgram } from '../support/child-process.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { appendMany } from './support.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const EVENTS = 400;

interface Line {
  worker: string;
  event: string;
  [key: string]: unknown;
}

/** A worker process (its own process group) and its JSON lines. */
class Worker {
  readonly program: ChildProgram;

  constructor(id: string, schema: string, lease: Record<string, string> = {}) {
    this.program = runProgram(WORKER, {
      DATABASE_URL: postgresUrl()!,
      SCHEMA: schema,
      WORKER_ID: id,
      LEASE_TTL_MS: '2000',
      ...lease,
    });
  }

  get lines(): Line[] {
    return this.program.lines().flatMap((text) => {
      try {
        return [JSON.parse(text) as Line];
      } catch {
        return []; // not one of ours
      }
    });
  }

  count(event: string): number {
    return this.lines.filter((l) => l.event === event).length;
  }

  /** Wait (polling, generously bounded) until `predicate` holds for the lines so far. */
  until(predicate: (w: Worker) => boolean, what: string): Promise<void> {
    return waitFor(() => predicate(this), { timeoutMs: 60_000, intervalMs: 5, what });
  }

  async kill(): Promise<void> {
    this.program.kill('SIGKILL');
    await this.program.exited;
  }
}

/** 'handling' lines after the last 'batch' line: where the worker is within its batch. */
function sinceLastBatch(w: Worker): number {
  const lines = w.lines;
  let n = 0;
  for (let i = lines.length - 1; i >= 0 && lines[i]!.event !== 'batch'; i--)
    if (lines[i]!.event === 'handling') n++;
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
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await store.close();
    await db.close();
  });

  it('a SIGKILLed holder mid-batch is replaced and every event is applied exactly once', async () => {
    const a = new Worker('a', db.schema);
    workers.push(a);
    await a.until((w) => w.count('lease_acquired') === 1, 'a holding the lease');
    const b = new Worker('b', db.schema);
    workers.push(b);
    await b.until((w) => w.count('started') === 1, 'b started');
    // Appended only now: on a busy machine A could otherwise finish the log before B has started.
    await appendMany(store, 'order-1', EVENTS, 'order.placed', (i) => ({ i }), 40);

    // Kill A after a few committed batches, early in the next one (≥ 15 events × 5 ms before it could commit).
    await a.until(
      (w) => w.count('batch') >= 3 && sinceLastBatch(w) >= 1 && sinceLastBatch(w) <= 5,
      'a early in a batch',
    );
    await a.kill();
    const committedByA = a.count('batch');

    await b.until((w) => w.count('lease_acquired') === 1, 'b taking over');
    await b.until((w) => w.count('caught_up') >= 1, 'b caught up');

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

  it('the standby takes a SIGKILLed holder’s lease once it expired (database clock), within ttl + acquire interval', async () => {
    const TTL = 3000;
    const ACQUIRE = 200;
    const lease = { LEASE_TTL_MS: String(TTL), LEASE_RENEW_MS: '1000', LEASE_ACQUIRE_MS: String(ACQUIRE) };
    const name = 'processor:kill-test';
    const holder = async () =>
      (
        await db.sql.query<{ owner: string; acquired_at: Date; expires_at: Date }>(
          `SELECT owner, acquired_at, expires_at FROM ${quoteIdent(db.schema)}.leases WHERE name = $1`,
          [name],
        )
      ).rows[0];
    // The previous test left b holding the lease: hand it over cleanly first.
    for (const w of workers.splice(0)) await w.kill();
    await db.sql.query(`DELETE FROM ${quoteIdent(db.schema)}.leases WHERE name = $1`, [name]);

    const c = new Worker('c', db.schema, lease);
    workers.push(c);
    await c.until((w) => w.count('lease_acquired') === 1, 'c holding the lease');
    const d = new Worker('d', db.schema, lease);
    workers.push(d);
    await d.until((w) => w.count('started') === 1, 'd started');

    await c.kill();
    const killedAt = performance.now();
    // Read at once: with a 3 s ttl renewed every second, C's last lease still has ≥ 2 s to run.
    const last = await holder();
    expect(last?.owner).toBe('c');

    await d.until((w) => w.count('lease_acquired') === 1, 'd taking over');
    const takeoverMs = performance.now() - killedAt;
    const taken = await holder();
    expect(taken?.owner).toBe('d');
    // Never before the killed holder's lease ran out …
    expect(new Date(taken!.acquired_at).getTime()).toBeGreaterThanOrEqual(
      new Date(last!.expires_at).getTime(),
    );
    // … and soon after: at most a ttl from the kill plus one standby interval (generous slack for a busy machine).
    expect(takeoverMs).toBeLessThan(TTL + ACQUIRE + 5_000);
  });
});
