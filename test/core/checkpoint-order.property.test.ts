/**
 * `compareCheckpoints` compares checkpoints as the store writes them as text
 * (no parsing: it runs once per change folded or sent); its order must be the
 * numeric order of (transaction id, position), and any other well-formed
 * spelling (leading zeros) or a malformed one goes through the parser.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCheckpoints, parseCheckpoint } from '../../src/core/checkpoint.js';

const numericOrder = (a: string, b: string): number => {
  const pa = parseCheckpoint(a);
  const pb = parseCheckpoint(b);
  if (pa.transactionId !== pb.transactionId) return pa.transactionId < pb.transactionId ? -1 : 1;
  return Math.sign(pa.globalPosition - pb.globalPosition);
};

const written = fc
  .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }))
  .map(([xid, position]) => `${xid}:${position}`);
// Small parts, so equal transaction ids and positions come up often.
const near = fc
  .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }))
  .map(([xid, position]) => `${xid}:${position}`);

describe('compareCheckpoints', () => {
  it('orders written checkpoints as the numbers they spell', () => {
    fc.assert(
      fc.property(fc.oneof(written, near), fc.oneof(written, near), (a, b) => {
        expect(Math.sign(compareCheckpoints(a, b))).toBe(numericOrder(a, b));
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads other spellings through the parser, and refuses malformed ones', () => {
    expect(compareCheckpoints('007:1', '7:1')).toBe(0);
    expect(compareCheckpoints('10:02', '10:3')).toBeLessThan(0);
    expect(() => compareCheckpoints('7:x', '7:1')).toThrow(/Malformed log checkpoint/);
  });
});
