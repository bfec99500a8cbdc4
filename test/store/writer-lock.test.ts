import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { horizonFrom, writerLockKeys } from '../../src/store/postgres/writer-lock.js';

const EPOCH = 1n << 32n;

describe('reader horizon', () => {
  it('is the snapshot xmax when no writer holds the lock', () => {
    expect(horizonFrom('100', '120', [])).toBe(120n);
  });

  it('is the oldest writer when one is older than xmax', () => {
    expect(horizonFrom('100', '120', ['115', '105'])).toBe(105n);
  });

  it('ignores writers at or past xmax (they started after the snapshot or have not finished)', () => {
    expect(horizonFrom('100', '120', ['120', '130'])).toBe(120n);
  });

  it('widens 32-bit writer ids correctly across an epoch boundary (law: horizon = min(xmax, writers) for any epoch)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 5n }),
        fc.bigInt({ min: 0n, max: EPOCH - 1n }),
        fc.array(fc.bigInt({ min: 0n, max: 1_000_000n })),
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        (epoch, low, offsets, xmaxOffset) => {
          const xmin = epoch * EPOCH + low;
          const xmax = xmin + xmaxOffset;
          const writers = offsets.map((o) => xmin + o);
          const expected = [xmax, ...writers].reduce((a, b) => (b < a ? b : a));
          const thirtyTwoBit = writers.map((w) => (w & (EPOCH - 1n)).toString());
          expect(horizonFrom(xmin.toString(), xmax.toString(), thirtyTwoBit)).toBe(expected);
        },
      ),
    );
  });

  it('gives each schema its own positive lock keys', () => {
    const [cls, a] = writerLockKeys('creatorflow');
    const [, b] = writerLockKeys('other');
    expect(cls).toBeGreaterThan(0);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).not.toBe(b);
  });
});
