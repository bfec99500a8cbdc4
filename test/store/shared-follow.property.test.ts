/**
 * Followers of one store (processors: `readAll({ follow: true })`) share their
 * page reads, and each still sees exactly the log, in order: on every engine,
 * with appends committing concurrently, random batch sizes and random pauses
 * between reads, and a window budget small enough that pages are dropped.
 */
import { setImmediate as nextCallback } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore, type LogCheckpoint } from '../../src/index.js';
import { sqlEngines } from '../support/databases.js';

/** Small: a few pages of this test's events, so the window drops pages all the time. */
const WINDOW_BYTES = 3_000;

const engines = [
  {
    name: 'memory',
    available: true,
    open: async () => ({ store: createEventStore(), close: async () => undefined }),
  },
  ...sqlEngines.map((engine) => ({
    name: engine.name,
    available: engine.available,
    open: async () => {
      const db = await engine.open();
      const store = createEventStore({
        sql: db.sql,
        schema: db.schema,
        followWindowBytes: WINDOW_BYTES,
        maxConcurrentFlushes: 2,
      });
      return { store, close: () => db.close() };
    },
  })),
];

describe.each(engines)('shared follower reads on $name', ({ name, available, open }) => {
  let store: EventStore;
  let close: () => Promise<void>;
  let run = 0;

  beforeAll(async () => {
    if (!available) return;
    ({ store, close } = await open());
    await store.migrate();
  });
  afterAll(async () => {
    if (!available) return;
    await store.close();
    await close();
  });

  it.skipIf(!available)(
    'N followers with random batch sizes and pauses each see exactly the log',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          // Bursts of concurrent appends (events per append), one burst after the other.
          fc.array(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.array(fc.record({ batch: fc.integer({ min: 1, max: 7 }), pause: fc.nat(3) }), {
            minLength: 2,
            maxLength: 5,
          }),
          async (bursts, followers) => {
            const prefix = `run${run++}`;
            const start = await store.headCheckpoint();
            let appendsDone = false;
            const follow = async ({ batch, pause }: { batch: number; pause: number }) => {
              const seen: LogCheckpoint[] = [];
              let after = start;
              for (;;) {
                const done = appendsDone; // a read asked for after the last append returned sees it
                const page = await store.readAll({ after, limit: batch, follow: true });
                expect(page.events.length).toBeLessThanOrEqual(batch);
                for (const e of page.events) seen.push(e.checkpoint);
                after = page.checkpoint;
                if (done && page.events.length < batch) return seen;
                for (let i = 0; i < pause; i++) await nextCallback();
              }
            };
            const reading = Promise.all(followers.map(follow));
            for (const [b, burst] of bursts.entries())
              await Promise.all(
                burst.map((count, i) =>
                  store.append(
                    `${prefix}-${b}-${i}`,
                    Array.from({ length: count }, (_, n) => ({
                      type: 't',
                      data: { n, pad: 'x'.repeat(40) },
                    })),
                  ),
                ),
              );
            appendsDone = true;
            const seen = await reading;
            const log = await store.readAll({ after: start, limit: 10_000 });
            const expected = log.events.map((e) => e.checkpoint);
            expect(expected).toHaveLength(bursts.flat().reduce((a, b) => a + b, 0));
            for (const followerSaw of seen) expect(followerSaw).toStrictEqual(expected);
          },
        ),
        { numRuns: name === 'memory' ? 100 : 20 },
      );
    },
  );
});

describe('followWindowBytes', () => {
  it('refuses a budget that is not a whole number of bytes, 0 or more (INVALID_ARGUMENT)', () => {
    for (const followWindowBytes of [-1, 1.5, Number.NaN])
      expect(() => createEventStore({ followWindowBytes })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    expect(() => createEventStore({ followWindowBytes: 0 })).not.toThrow();
  });
});
