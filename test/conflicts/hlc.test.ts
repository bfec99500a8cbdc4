/**
 * Hybrid logical clock: monotonic, causal, bounded drift.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HybridLogicalClock,
  compareHlc,
  formatHlc,
  parseHlc,
  type HlcTimestamp,
} from '../../src/core/hlc.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

const stampArb = fc.record({
  wallMs: fc.integer({ min: 0, max: 2 ** 45 }),
  logical: fc.integer({ min: 0, max: 999_999 }),
  node: fc.stringMatching(/^[a-z0-9-]{1,8}$/),
});

describe('hybrid logical clock', () => {
  it('readings strictly increase for any sequence of local events, receipts and physical clock jumps (even backwards)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: -50, max: 50 }),
            fc.option(fc.integer({ min: -100, max: 100 }), { nil: null }),
          ),
          { maxLength: 60 },
        ),
        (steps) => {
          let physical = 1_000_000;
          const clock = new HybridLogicalClock({ node: 'a', maxDriftMs: 60, now: () => physical });
          let last: HlcTimestamp | null = null;
          for (const [jump, remoteOffset] of steps) {
            physical += jump;
            const next =
              remoteOffset === null
                ? clock.now()
                : clock.receive({ wallMs: physical + remoteOffset, logical: 2, node: 'b' }).timestamp;
            if (last) expect(compareHlc(next, last)).toBeGreaterThan(0);
            last = next;
          }
        },
      ),
    );
  });

  it('a trusted receipt is later than the remote reading (causality)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 5 }),
        (offset, logical) => {
          const clock = new HybridLogicalClock({ node: 'a', maxDriftMs: 1000, now: () => 50_000 });
          const remote = { wallMs: 50_000 + offset, logical, node: 'b' };
          const { timestamp, trusted } = clock.receive(remote);
          expect(trusted).toBe(true);
          expect(
            timestamp.wallMs > remote.wallMs ||
              (timestamp.wallMs === remote.wallMs && timestamp.logical > remote.logical),
          ).toBe(true);
        },
      ),
    );
  });

  it('a remote reading beyond the drift bound is flagged not trusted and does not move the clock; exactly at the bound it is trusted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (bound, beyond) => {
          const clock = new HybridLogicalClock({ node: 'a', maxDriftMs: bound, now: () => 1_000 });
          const far = clock.receive({ wallMs: 1_000 + bound + beyond, logical: 0, node: 'b' });
          expect(far.trusted).toBe(false);
          expect(far.timestamp.wallMs).toBe(1_000);
          const edge = clock.receive({ wallMs: 1_000 + bound, logical: 0, node: 'b' });
          expect(edge.trusted).toBe(true);
          expect(edge.timestamp.wallMs).toBe(1_000 + bound);
        },
      ),
    );
  });

  it('formatHlc is order-preserving and parseHlc inverts it', () => {
    fc.assert(
      fc.property(stampArb, stampArb, (a, b) => {
        expect(parseHlc(formatHlc(a))).toEqual(a);
        const lexical = formatHlc(a) < formatHlc(b) ? -1 : formatHlc(a) > formatHlc(b) ? 1 : 0;
        if (a.wallMs !== b.wallMs || a.logical !== b.logical)
          expect(lexical).toBe(Math.sign(compareHlc(a, b)));
      }),
    );
  });

  it('rejects malformed readings and settings with typed errors', () => {
    expect(() => parseHlc('yesterday')).toThrow(InvalidArgumentError);
    expect(() => new HybridLogicalClock({ node: '' })).toThrow(InvalidArgumentError);
    expect(() => new HybridLogicalClock({ node: 'a', maxDriftMs: -1 })).toThrow(InvalidArgumentError);
  });
});
