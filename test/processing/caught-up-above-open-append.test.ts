/**
 * `whenCaughtUp()` without `to` waits for every event committed before the
 * call, also one committed above an append still open: that append took an
 * older transaction id, so the log's readable head stops below it and the
 * waiter used to resolve before the committed event was processed. And the
 * processors of one store share their lag reports' head reads.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { compareCheckpoints, type LogCheckpoint } from '../../src/core/checkpoint.js';
import { createProcessor, type Processor } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { countingPgPool } from '../support/counting-pg-pool.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

/** A promise and the function that settles it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** The head statements: the readable head (`read_head`) and the committed head. */
const isHeadRead = (text: string) =>
  text.includes('read_head(') || /ORDER BY transaction_id DESC, global_position DESC LIMIT 1/.test(text);

describe.skipIf(!postgresEngine.available)('caught up above an open append, on PostgreSQL', () => {
  const schema = uniqueSchema('cu');
  let pool: pg.Pool;
  let store: EventStore;
  let sent: string[];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 6 });
    const counting = countingPgPool(pool);
    sent = counting.sent;
    store = createEventStore({ sql: fromPg(counting.pool), schema, maxConcurrentFlushes: 4 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  /** Hold the next append to `stream` open after it wrote; resolves once it is held. */
  function holdOpen(stream: string) {
    const gate = signal();
    const inside = signal();
    const remove = store.addInlineHook({
      name: `hold-${stream}`,
      async apply({ events }) {
        if (!events.some((e) => e.aggregateId === stream)) return;
        inside.fire();
        await gate.promise;
      },
    });
    const append = store.append(stream, [{ type: 'slow', data: {} }]);
    return {
      held: inside.promise,
      async release() {
        gate.fire();
        await append;
        remove();
      },
    };
  }

  it('committedCheckpoint includes an event committed above an open append; headCheckpoint stops below it', async () => {
    const before = await store.append('warm', [{ type: 'warm', data: {} }]);
    const slow = holdOpen('slow-1');
    await slow.held;
    try {
      const fast = await store.append('fast-1', [{ type: 'fast', data: {} }]);
      expect(await store.committedCheckpoint()).toBe(fast.checkpoint);
      expect(compareCheckpoints(await store.headCheckpoint(), fast.checkpoint)).toBeLessThan(0);
    } finally {
      await slow.release();
    }
    expect(compareCheckpoints(await store.headCheckpoint(), before.checkpoint)).toBeGreaterThan(0);
  });

  it('a processor waited on without `to` resolves only after the event committed above the open append', async () => {
    const handled: string[] = [];
    // The head the waiter asked for has been answered (plus a macrotask, so a
    // waiter that needs nothing more has resolved by then).
    const headAnswered = signal();
    const watched: EventStore = new Proxy(store, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if ((key !== 'committedCheckpoint' && key !== 'headCheckpoint') || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          const head = (await (value as (...a: unknown[]) => Promise<LogCheckpoint>).apply(target, args))!;
          setImmediate(headAnswered.fire);
          return head;
        };
      },
    });
    const processor: Processor = createProcessor({
      store: watched,
      name: 'caught-up',
      lease: false,
      lagIntervalMs: 0,
      handle: async (event) => {
        handled.push(event.aggregateId);
      },
    });
    await processor.start();
    try {
      const warm = await store.append('warm-2', [{ type: 'warm', data: {} }]);
      await processor.whenCaughtUp({ to: warm.checkpoint, timeoutMs: 30_000 });
      const slow = holdOpen('slow-2');
      await slow.held;
      let atResolve: Promise<string[]>;
      try {
        await store.append('fast-2', [{ type: 'fast', data: {} }]);
        // What the processor had handled when the waiter resolved.
        atResolve = processor.whenCaughtUp({ timeoutMs: 30_000 }).then(() => [...handled]);
        await headAnswered.promise;
      } finally {
        await slow.release();
      }
      expect(await atResolve).toEqual(expect.arrayContaining(['slow-2', 'fast-2']));
    } finally {
      await processor.stop();
    }
  });

  it('the lag reports of four processors share one head read per interval', async () => {
    const reports = new Map<string, number>();
    const processors = Array.from({ length: 4 }, (_, i) =>
      createProcessor({
        store,
        name: `lag-${i}`,
        lease: false,
        lagIntervalMs: 250,
        handle: async () => undefined,
      }),
    );
    for (const p of processors) {
      p.on('processor:lag', (lag) => reports.set(lag.processor, (reports.get(lag.processor) ?? 0) + 1));
      await p.start();
    }
    try {
      for (const p of processors) await p.whenCaughtUp({ timeoutMs: 30_000 });
      sent.length = 0;
      reports.clear();
      const deadline = Date.now() + 30_000;
      while ([...reports.values()].filter((n) => n >= 4).length < 4 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const total = [...reports.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(16);
      // One read per interval for all four (one each made sixteen or more).
      expect(sent.filter(isHeadRead).length).toBeLessThanOrEqual(Math.ceil(total / 4) + 1);
    } finally {
      for (const p of processors) await p.stop();
    }
  });
});
