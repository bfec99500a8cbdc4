/**
 * Sequential read-ahead of log pages: when it reads ahead, what it serves,
 * and that a reader gets exactly the pages it would get without it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogCheckpoint } from '../../src/core/checkpoint.js';
import { ReadAhead, type RawPage } from '../../src/store/postgres/read-ahead.js';
import type { ReadAllResult, StoredEvent } from '../../src/store/types.js';

/** A log of `size` events at positions 1..size, paged like the store pages it. */
function fakeLog(size: number) {
  const calls: string[] = [];
  let length = size;
  const fetch = async (after: LogCheckpoint, limit: number): Promise<RawPage> => {
    calls.push(after);
    await Promise.resolve();
    const from = Number(after.split(':')[1]);
    const events = Array.from({ length: Math.max(0, Math.min(limit, length - from)) }, (_, i) => {
      const position = from + i + 1;
      return { globalPosition: position, checkpoint: `1:${position}` } as StoredEvent;
    });
    const checkpoint = events.at(-1)?.checkpoint ?? after;
    return { count: events.length, checkpoint, decode: async () => ({ events, checkpoint }) };
  };
  return { fetch, calls, grow: (n: number) => (length += n) };
}

async function readEverything(
  read: (after: LogCheckpoint, limit: number) => Promise<ReadAllResult>,
  limit: number,
) {
  const positions: number[] = [];
  let after = '0:0';
  for (;;) {
    const page = await read(after, limit);
    positions.push(...page.events.map((e) => e.globalPosition));
    after = page.checkpoint;
    if (page.events.length < limit) return positions;
  }
}

describe('ReadAhead', () => {
  it('reads ahead only once a reader has asked for the page after a full one', async () => {
    const log = fakeLog(100);
    const ahead = new ReadAhead(log.fetch);
    await ahead.read('0:0', 10);
    expect(log.calls).toEqual(['0:0']); // a single page: nothing read ahead
    await ahead.read('1:10', 10); // the continuation: now the page after it is read ahead
    expect(log.calls).toEqual(['0:0', '1:10', '1:20']);
    const third = await ahead.read('1:20', 10);
    expect(third.events.map((e) => e.globalPosition)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(log.calls).toEqual(['0:0', '1:10', '1:20', '1:30']); // served from read-ahead, next one started
  });

  it('never serves a short page from read-ahead: a reader at the head reads afresh', async () => {
    const log = fakeLog(25);
    const ahead = new ReadAhead(log.fetch);
    await ahead.read('0:0', 10);
    await ahead.read('1:10', 10); // reads 1:20 ahead: 5 events, a short page
    log.grow(10); // new commits arrive
    const page = await ahead.read('1:20', 10);
    expect(page.events.map((e) => e.globalPosition)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });

  it('falls back to a fresh read when the read ahead failed or is too old', async () => {
    const log = fakeLog(100);
    let now = 0;
    let failed = false;
    const ahead = new ReadAhead(
      async (after, limit) => {
        if (after === '1:20' && !failed) {
          failed = true; // the read-ahead of 1:20 fails; the reader's own read must not
          throw new Error('connection lost');
        }
        return log.fetch(after, limit);
      },
      { ttlMs: 1_000, now: () => now },
    );
    await ahead.read('0:0', 10);
    await ahead.read('1:10', 10);
    expect((await ahead.read('1:20', 10)).events[0]?.globalPosition).toBe(21);
    now += 5_000; // the read-ahead of 1:30 is now too old
    const before = log.calls.length;
    expect((await ahead.read('1:30', 10)).events[0]?.globalPosition).toBe(31);
    expect(log.calls.slice(before, before + 1)).toEqual(['1:30']);
  });

  it('gives every reader exactly the pages a plain reader gets (several readers, any page size)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        async (size, limits) => {
          const log = fakeLog(size);
          const ahead = new ReadAhead(log.fetch, { maxReaders: 4 });
          const expected = Array.from({ length: size }, (_, i) => i + 1);
          const results = await Promise.all(
            limits.map((limit) => readEverything((a, l) => ahead.read(a, l), limit)),
          );
          for (const positions of results) expect(positions).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
