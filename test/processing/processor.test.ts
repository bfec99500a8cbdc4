import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessor, ProcessorRetiredError, type Processor } from '../../src/processing/index.js';
import type { StoredEvent } from '../../src/store/types.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import { appendMany, storeEngines, type TestStore } from './support.js';

const FAST_RETRY = { attempts: 3, minTimeoutMs: 1, maxTimeoutMs: 5, jitter: true } as const;

describe.each(storeEngines)('processor on $name', (engine) => {
  let t: TestStore;
  const started: Processor[] = [];
  const track = (p: Processor) => {
    started.push(p);
    return p;
  };

  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop();
    if (engine.available) await t.close();
  });

  /** A sink that records the positions handled; in SQL it writes rows in the handler's transaction. */
  async function sink(name: string) {
    const seen: number[] = [];
    const table = `${quoteIdent(t.store.schema)}.${quoteIdent(`seen_${name}`)}`;
    if (t.store.sql) await t.store.sql.query(`CREATE TABLE ${table} (position bigint PRIMARY KEY)`);
    return {
      handle: async (
        event: StoredEvent,
        { tx }: { tx?: { query: (q: string, p: unknown[]) => Promise<unknown> } },
      ) => {
        if (tx) await tx.query(`INSERT INTO ${table} (position) VALUES ($1)`, [event.globalPosition]);
        return () => void seen.push(event.globalPosition);
      },
      seen,
      async stored(): Promise<number[]> {
        if (!t.store.sql) return [...seen];
        const { rows } = await t.store.sql.query<{ position: string }>(
          `SELECT position FROM ${table} ORDER BY position`,
        );
        return rows.map((r) => Number(r.position));
      },
    };
  }

  async function positions(): Promise<number[]> {
    return (await t.store.readAll({ limit: 100_000 })).events.map((e) => e.globalPosition);
  }

  it.skipIf(!engine.available)(
    'handles every event once in log order and resumes from its checkpoint',
    async () => {
      const s = await sink('a');
      await appendMany(t.store, 'order-1', 30);
      const first = track(createProcessor({ store: t.store, name: 'a', handle: s.handle, batchSize: 7 }));
      await first.start();
      await first.whenCaughtUp({ timeoutMs: 20_000 });
      await first.stop();
      await appendMany(t.store, 'order-2', 12);
      const second = track(createProcessor({ store: t.store, name: 'a', handle: s.handle, batchSize: 7 }));
      await second.start();
      await second.whenCaughtUp({ timeoutMs: 20_000 });
      const all = await positions();
      expect(s.seen).toEqual(all);
      expect(await s.stored()).toEqual([...all].sort((x, y) => x - y));
      expect(second.checkpoint).toBe(await t.store.headCheckpoint());
    },
  );

  it.skipIf(!engine.available)('wakes on appends without waiting for the poll', async () => {
    const s = await sink('wake');
    const p = track(
      createProcessor({ store: t.store, name: 'wake', handle: s.handle, pollIntervalMs: 600_000 }),
    );
    await p.start();
    await p.whenCaughtUp({ timeoutMs: 10_000 });
    await appendMany(t.store, 'order-1', 5);
    // With a 10-minute poll, only a wake-up can get it there before the timeout.
    await p.whenCaughtUp({ timeoutMs: 20_000 });
    expect(s.seen).toHaveLength(5);
  });

  it.skipIf(!engine.available)('starts at the end or at a checkpoint when nothing is stored', async () => {
    await appendMany(t.store, 'order-1', 10);
    const all = (await t.store.readAll()).events;
    const fromEnd = await sink('end');
    const fromCp = await sink('cp');
    const end = track(
      createProcessor({ store: t.store, name: 'end', handle: fromEnd.handle, startFrom: 'end' }),
    );
    const cp = track(
      createProcessor({ store: t.store, name: 'cp', handle: fromCp.handle, startFrom: all[3]!.checkpoint }),
    );
    await end.start();
    await cp.start();
    await appendMany(t.store, 'order-1', 2);
    await end.whenCaughtUp({ timeoutMs: 20_000 });
    await cp.whenCaughtUp({ timeoutMs: 20_000 });
    const after = (await t.store.readAll()).events.map((e) => e.globalPosition);
    expect(fromEnd.seen).toEqual(after.slice(10));
    expect(fromCp.seen).toEqual(after.slice(4));
  });

  it.skipIf(!engine.available)(
    'skips event types it does not handle but still moves its checkpoint',
    async () => {
      await appendMany(t.store, 'order-1', 4, 'order.placed');
      await appendMany(t.store, 'order-1', 3, 'order.other');
      const types: string[] = [];
      const p = track(
        createProcessor({
          store: t.store,
          name: 'typed',
          eventTypes: ['order.placed'],
          handle: (e) => void types.push(e.type),
        }),
      );
      await p.start();
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      expect(types).toEqual(Array(4).fill('order.placed'));
      expect(p.checkpoint).toBe(await t.store.headCheckpoint());
    },
  );

  it.skipIf(!engine.available)(
    'rolls back a failed attempt, retries it, and applies the event once',
    async () => {
      const s = await sink('retry');
      await appendMany(t.store, 'order-1', 6);
      const failing = (await positions())[2]!;
      let failures = 0;
      const retries: number[] = [];
      const p = track(
        createProcessor({
          store: t.store,
          name: 'retry',
          retry: FAST_RETRY,
          handle: async (event, ctx) => {
            const post = await s.handle(event, ctx);
            // Fail after writing, twice (the batch, then the first single-event attempt):
            // the writes of both must be rolled back.
            if (event.globalPosition === failing && failures < 2) {
              failures++;
              throw new Error('flaky');
            }
            return post;
          },
        }),
      );
      p.on('processor:retry', ({ attempt }) => retries.push(attempt));
      await p.start();
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      expect(failures).toBe(2);
      expect(retries).toEqual([1]);
      expect(await s.stored()).toEqual(await positions());
      expect(await p.deadLetters.list({ processor: 'retry' })).toEqual([]);
    },
  );

  it.skipIf(!engine.available)(
    'dead-letters an event that keeps failing, goes on, and redrives it',
    async () => {
      const s = await sink('dlq');
      await appendMany(t.store, 'order-1', 5);
      const all = await positions();
      const poison = all[1]!;
      let broken = true;
      const deadLettered: { attempts: number; position: number }[] = [];
      const errors: unknown[] = [];
      const p = track(
        createProcessor({
          store: t.store,
          name: 'dlq',
          retry: FAST_RETRY,
          handle: async (event, ctx) => {
            if (broken && event.globalPosition === poison)
              throw new TypeError('cannot read total of undefined');
            return s.handle(event, ctx);
          },
        }),
      );
      p.on('processor:dead_lettered', ({ attempts, event }) =>
        deadLettered.push({ attempts, position: event.globalPosition }),
      );
      p.on('error', (err) => errors.push(err));
      await p.start();
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      expect(deadLettered).toEqual([{ attempts: 3, position: poison }]);
      expect(await s.stored()).toEqual(all.filter((x) => x !== poison));
      const letters = await p.deadLetters.list({ processor: 'dlq' });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ processor: 'dlq', attempts: 3 });
      expect(letters[0]!.event.globalPosition).toBe(poison);
      expect(letters[0]!.event.occurredAt).toBeInstanceOf(Date);
      expect(letters[0]!.error).toContain('cannot read total of undefined');

      // Still broken: the redrive fails and keeps the letter, with more attempts.
      expect(await p.redrive()).toEqual({ redriven: [], failed: [letters[0]!.id] });
      expect((await p.deadLetters.list({ processor: 'dlq' }))[0]!.attempts).toBe(6);

      broken = false;
      expect(await p.redrive({ ids: [letters[0]!.id] })).toEqual({ redriven: [letters[0]!.id], failed: [] });
      expect(await p.deadLetters.list({ processor: 'dlq' })).toEqual([]);
      expect((await s.stored()).sort((a, b) => a - b)).toEqual(all);
      // The dead letter was the one background error (a failed redrive is the caller's answer).
      expect(errors).toEqual([
        expect.objectContaining({
          code: 'PROCESSOR_DEAD_LETTERED',
          processor: 'dlq',
          deadLetterId: letters[0]!.id,
        }),
      ]);
    },
  );

  it.skipIf(!engine.available)('a throwing handler never stops another processor', async () => {
    const good = await sink('good');
    await appendMany(t.store, 'order-1', 8);
    const bad = track(
      createProcessor({
        store: t.store,
        name: 'bad',
        retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 2 },
        handle: () => {
          throw new Error('always');
        },
      }),
    );
    const ok = track(createProcessor({ store: t.store, name: 'good', handle: good.handle }));
    await bad.start();
    await ok.start();
    await ok.whenCaughtUp({ timeoutMs: 20_000 });
    await bad.whenCaughtUp({ timeoutMs: 20_000 });
    expect(good.seen).toEqual(await positions());
    expect(await bad.deadLetters.list({ processor: 'bad' })).toHaveLength(8);
  });

  it.skipIf(!engine.available)('reports lag before and after catching up, and emits caught_up', async () => {
    await appendMany(t.store, 'order-1', 20);
    const p = track(createProcessor({ store: t.store, name: 'lag', handle: () => undefined, batchSize: 5 }));
    const before = await p.lag();
    expect(before.events).toBeGreaterThan(0);
    const caughtUp: string[] = [];
    p.on('processor:caught_up', ({ checkpoint }) => caughtUp.push(checkpoint));
    await p.start();
    await p.whenCaughtUp({ timeoutMs: 20_000 });
    const after = await p.lag();
    expect(after).toMatchObject({ events: 0, ms: 0, processor: 'lag' });
    expect(after.checkpoint).toBe(after.head);
    await expect.poll(() => caughtUp.length).toBeGreaterThan(0);
    expect(caughtUp.at(-1)).toBe(after.head);
  });

  it.skipIf(!engine.available)(
    'a filter picks the events the handler sees while the checkpoint passes the rest',
    async () => {
      const s = await sink('even');
      await appendMany(t.store, 'order-1', 20);
      const p = track(
        createProcessor({
          store: t.store,
          name: 'even',
          handle: s.handle,
          batchSize: 6,
          filter: (e) => e.globalPosition % 2 === 0,
        }),
      );
      await p.start();
      await p.whenCaughtUp({ timeoutMs: 20_000 });
      const even = (await positions()).filter((n) => n % 2 === 0);
      expect(even.length).toBeGreaterThan(0);
      expect(s.seen).toEqual(even);
      expect(await s.stored()).toEqual(even);
      expect(p.checkpoint).toBe(await t.store.headCheckpoint());
    },
  );

  it.skipIf(!engine.available)(
    'requireCheckpoint: a missing checkpoint stops the processor with PROCESSOR_RETIRED',
    async () => {
      await appendMany(t.store, 'order-1', 3);
      const handled: number[] = [];
      const p = track(
        createProcessor({
          store: t.store,
          name: 'retired',
          requireCheckpoint: true,
          errorBackoffMs: 5,
          handle: (e) => void handled.push(e.globalPosition),
        }),
      );
      const errors: unknown[] = [];
      p.on('error', (err) => errors.push(err));
      await p.start();
      await expect.poll(() => p.running, { timeout: 10_000 }).toBe(false);
      expect(handled).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ProcessorRetiredError);
      expect(errors[0]).toMatchObject({ code: 'PROCESSOR_RETIRED', processor: 'retired' });
      expect(await p.lag()).toMatchObject({ checkpoint: '0:0' }); // nothing was stored for it
    },
  );

  it.skipIf(!engine.available)('rejects bad options with a clear error', () => {
    expect(() => createProcessor({ store: t.store, name: 'x' })).toThrow(/handle or handleBatch/);
    expect(() =>
      createProcessor({ store: t.store, name: 'x', handle: () => undefined, batchSize: 0 }),
    ).toThrow(/batchSize/);
    expect(() =>
      createProcessor({ store: t.store, name: 'x', handle: () => undefined, startFrom: 'yesterday' }),
    ).toThrow(/startFrom/);
  });
});

describe.each(storeEngines.filter((e) => e.name !== 'memory'))(
  'processor fencing and standby on $name',
  (engine) => {
    let t: TestStore;
    beforeEach(async () => {
      if (engine.available) t = await engine.open();
    });
    afterEach(async () => {
      if (engine.available) await t.close();
    });

    it.skipIf(!engine.available)(
      'two instances without a lease still apply every event exactly once (checkpoint fence)',
      async () => {
        const table = `${quoteIdent(t.store.schema)}.fenced`;
        await t.store.sql!.query(`CREATE TABLE ${table} (position bigint PRIMARY KEY, by_instance text)`);
        await appendMany(t.store, 'order-1', 120, 'x', (i) => ({ i }), 20);
        const make = (id: string) =>
          createProcessor({
            store: t.store,
            name: 'fenced',
            lease: false,
            batchSize: 10,
            retry: { attempts: 50, minTimeoutMs: 1, maxTimeoutMs: 3 },
            handle: async (event, { tx }) => {
              // A plain INSERT: a doubled event would violate the primary key.
              await tx!.query(`INSERT INTO ${table} (position, by_instance) VALUES ($1, $2)`, [
                event.globalPosition,
                id,
              ]);
            },
          });
        const a = make('a');
        const b = make('b');
        const letters: unknown[] = [];
        a.on('processor:dead_lettered', (l) => letters.push(l));
        b.on('processor:dead_lettered', (l) => letters.push(l));
        await Promise.all([a.start(), b.start()]);
        await Promise.all([a.whenCaughtUp({ timeoutMs: 30_000 }), b.whenCaughtUp({ timeoutMs: 30_000 })]);
        await Promise.all([a.stop(), b.stop()]);
        const { rows } = await t.store.sql!.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        expect(rows[0]!.n).toBe(120);
        expect(letters).toEqual([]);
      },
    );

    it.skipIf(!engine.available)(
      'exactly one of several instances holds the lease; stopping it hands over',
      async () => {
        await appendMany(t.store, 'order-1', 10);
        const handledBy: string[] = [];
        const make = (id: string) =>
          createProcessor({
            store: t.store,
            name: 'leased',
            lease: { ttlMs: 1000, acquireIntervalMs: 50, owner: id },
            handle: () => void handledBy.push(id),
          });
        const a = make('a');
        const b = make('b');
        await a.start();
        await a.whenCaughtUp({ timeoutMs: 20_000 });
        await b.start();
        await appendMany(t.store, 'order-1', 5);
        await a.whenCaughtUp({ timeoutMs: 20_000 });
        await b.whenCaughtUp({ timeoutMs: 20_000 }); // a standby follows the holder's checkpoint
        expect([a.leaseHeld, b.leaseHeld]).toEqual([true, false]);
        expect(new Set(handledBy)).toEqual(new Set(['a']));
        await a.stop();
        await expect.poll(() => b.leaseHeld, { timeout: 20_000 }).toBe(true);
        await appendMany(t.store, 'order-1', 5);
        await b.whenCaughtUp({ timeoutMs: 20_000 });
        expect(handledBy.filter((x) => x === 'b')).toHaveLength(5);
        expect(handledBy).toHaveLength(20);
        await b.stop();
      },
    );

    it.skipIf(!engine.available)(
      'a standby follows the holder at the poll interval, while trying the lease only at the acquire interval',
      async () => {
        await appendMany(t.store, 'order-1', 5);
        const make = (id: string) =>
          createProcessor({
            store: t.store,
            name: 'follow',
            pollIntervalMs: 20,
            lease: { ttlMs: 60_000, acquireIntervalMs: 60_000, owner: id },
            handle: () => undefined,
          });
        const a = make('a');
        const b = make('b');
        await a.start();
        await a.whenCaughtUp({ timeoutMs: 20_000 });
        await b.start();
        await appendMany(t.store, 'order-1', 5);
        await a.whenCaughtUp({ timeoutMs: 20_000 });
        // Well before b's next attempt at the lease (60 s away).
        await b.whenCaughtUp({ timeoutMs: 5_000 });
        expect(b.checkpoint).toBe(a.checkpoint);
        expect([a.leaseHeld, b.leaseHeld]).toEqual([true, false]);
        await b.stop();
        await a.stop();
      },
    );
  },
);

describe('processor on a closed store', () => {
  it('reports the closed store once and stops', async () => {
    const t = await storeEngines[0]!.open();
    const p = createProcessor({
      store: t.store,
      name: 'closing',
      handle: () => undefined,
      errorBackoffMs: 1,
    });
    const errors: unknown[] = [];
    p.on('error', (err) => errors.push(err));
    await p.start();
    await p.whenCaughtUp({ timeoutMs: 10_000 });
    await t.close();
    await appendMany(t.store, 'x', 1).catch(() => undefined); // closed: only wakes nobody
    await expect.poll(() => p.running, { timeout: 10_000 }).toBe(false);
    expect(errors.length).toBeLessThanOrEqual(1);
  });
});
