/**
 * `intervalDueTimes(...).previous(upTo, n)` is the last `n` due times at or
 * before `upTo` (from the epoch on): the law against counting forward with
 * `next`. With fewer than `n` of them before `upTo` it returned only the
 * epoch (`previous(2500, 5)` of a 1 s interval was `[0]`, not `[0, 1000, 2000]`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intervalDueTimes } from '../../src/scheduling/index.js';

describe('intervalDueTimes.previous', () => {
  it('is the last n due times at or before upTo, counted forward with next (law)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 60 }),
        (everyMs, upTo, n) => {
          const due = intervalDueTimes('s', everyMs);
          const forward: number[] = [];
          for (let at = 0; at <= upTo; at = due.next(at)!) forward.push(at);
          expect(due.previous(upTo, n)).toEqual(forward.slice(-n));
        },
      ),
    );
    expect(intervalDueTimes('s', 1000).previous(2500, 5)).toEqual([0, 1000, 2000]);
  });
});
