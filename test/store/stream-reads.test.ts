/**
 * `readStream` calls made at once share one statement on the SQL stores
 * (`src/store/postgres/stream-reads.ts`); each caller still gets exactly what
 * a read of its stream alone returns: its own `fromVersion` and `maxCount`,
 * events in version order, version 0 for a stream that does not exist, and
 * every append that committed before the read was made. Checked on every
 * engine (the memory store reads one at a time), with a fast-check law:
 * concurrent reads equal the same reads made one after the other.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/core/sql-client.js';
import { createEventStore, type EventStore, type ReadStreamOptions } from '../../src/index.js';
import { sqlEngines } from '../support/databases.js';

/** `sql` with a count of the stream-read statements it sent. */
function counted(sql: SqlClient): { sql: SqlClient; reads: () => number } {
  let reads = 0;
  const wrapped = new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return (text: string, ...rest: unknown[]) => {
          if (/\bstreams st\b/.test(text)) reads++;
          return (target.query as (...args: unknown[]) => unknown).call(target, text, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { sql: wrapped, reads: () => reads };
}

const engines = [
  {
    name: 'memory',
    available: true,
    open: async () => ({ store: createEventStore(), reads: undefined, close: async () => undefined }),
  },
  ...sqlEngines.map((engine) => ({
    name: engine.name,
    available: engine.available,
    open: async () => {
      const db = await engine.open();
      const { sql, reads } = counted(db.sql);
      return { store: createEventStore({ sql, schema: db.schema }), reads, close: () => db.close() };
    },
  })),
];

const note = (n: number) => ({ type: 'note.added', data: { n } });

describe.each(engines)('stream reads on $name', ({ available, open }) => {
  let store: EventStore;
  let reads: (() => number) | undefined;
  let close: () => Promise<void>;
  let run = 0;

  beforeAll(async () => {
    if (!available) return;
    ({ store, reads, close } = await open());
    await store.migrate();
  });
  afterAll(async () => {
    if (!available) return;
    await store.close();
    await close();
  });

  it.skipIf(!available)('concurrent reads each get their own stream, window and order', async () => {
    const p = `w${run++}`;
    await store.append(`${p}-a`, [note(1), note(2), note(3), note(4), note(5)]);
    await store.append(`${p}-b`, [note(10), note(11)]);
    await store.append(`${p}-a`, [note(6)]);
    const before = reads?.();
    const [whole, tail, page, past, missing, again] = await Promise.all([
      store.readStream(`${p}-a`),
      store.readStream(`${p}-a`, { fromVersion: 5 }),
      store.readStream(`${p}-a`, { fromVersion: 2, maxCount: 2 }),
      store.readStream(`${p}-b`, { fromVersion: 3 }),
      store.readStream(`${p}-none`),
      store.readStream(`${p}-b`, { maxCount: 1 }),
    ]);
    const versions = (r: { events: { version: number }[] }) => r.events.map((e) => e.version);
    expect(whole.version).toBe(6);
    expect(versions(whole)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(whole.events.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(whole.events.every((e) => e.aggregateId === `${p}-a`)).toBe(true);
    expect(tail).toMatchObject({ version: 6 });
    expect(versions(tail)).toEqual([5, 6]);
    expect(versions(page)).toEqual([2, 3]);
    expect(past).toEqual({ version: 2, events: [] });
    expect(missing).toEqual({ version: 0, events: [] });
    expect(again.version).toBe(2);
    expect(versions(again)).toEqual([1]);
    // Six reads made at once: fewer statements than reads on the SQL stores.
    if (reads && before !== undefined) expect(reads() - before).toBeLessThan(6);
  });

  it.skipIf(!available)(
    'a read made after an append committed sees it, while another read is in flight',
    async () => {
      const p = `c${run++}`;
      await store.append(`${p}-a`, [note(1)]);
      for (let i = 0; i < 20; i++) {
        // A read in flight (or queued), then an append, then a read of the appended stream.
        const inFlight = store.readStream(`${p}-a`);
        await store.append(`${p}-b`, [note(i)]);
        const after = store.readStream(`${p}-b`, { fromVersion: i + 1 });
        const [, seen] = await Promise.all([inFlight, after]);
        expect(seen.version).toBe(i + 1);
        expect(seen.events.map((e) => e.version)).toEqual([i + 1]);
      }
    },
  );

  it.skipIf(!available)('concurrent reads equal the same reads one at a time (law)', async () => {
    const p = `l${run++}`;
    const streams = [`${p}-0`, `${p}-1`, `${p}-2`, `${p}-3`];
    for (const [i, id] of streams.slice(0, 3).entries())
      await store.append(
        id,
        Array.from({ length: 2 + i * 2 }, (_, n) => note(n)),
      );
    const read = fc.record({
      stream: fc.constantFrom(...streams),
      fromVersion: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      maxCount: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(read, { minLength: 1, maxLength: 12 }), async (calls) => {
        const optionsOf = (c: (typeof calls)[number]): ReadStreamOptions => ({
          ...(c.fromVersion === undefined ? {} : { fromVersion: c.fromVersion }),
          ...(c.maxCount === undefined ? {} : { maxCount: c.maxCount }),
        });
        const together = await Promise.all(calls.map((c) => store.readStream(c.stream, optionsOf(c))));
        const alone = [];
        for (const c of calls) alone.push(await store.readStream(c.stream, optionsOf(c)));
        expect(together).toEqual(alone);
      }),
      { numRuns: 40 },
    );
  });
});
