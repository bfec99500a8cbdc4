import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Delta, applyDelta, diffRows, mergeDeltas } from '../../src/core/delta.js';
import type { Row } from '../../src/core/row-change.js';

const key = { id: 'k' };
const fieldsArb = fc.dictionary(
  fc.constantFrom('a', 'b', 'c'),
  fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(null)),
);
const deltaArb: fc.Arbitrary<Delta> = fc.record({
  op: fc.constantFrom('INSERT', 'UPDATE', 'DELETE'),
  key: fc.constant(key),
  fields: fieldsArb,
});

describe('diffRows', () => {
  it('returns only changed fields', () => {
    expect(diffRows({ a: 1, b: 2, d: new Date(5) }, { a: 1, b: 3, d: new Date(5) })).toEqual({ b: 3 });
    expect(diffRows({ a: 1, b: 2 }, { a: 1 })).toEqual({ b: null });
  });

  it('applying the diff as an UPDATE turns the old row into the new one (law)', () => {
    const rowArb = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(rowArb, rowArb, (prev, next) => {
        const rows = new Map<string, Row>([['k', { ...prev }]]);
        applyDelta(rows, 'k', { op: 'UPDATE', key: {}, fields: diffRows(prev, next) });
        const got = rows.get('k')!;
        for (const [k, v] of Object.entries(next)) expect(got[k]).toEqual(v);
        for (const k of Object.keys(prev)) if (!(k in next)) expect(got[k]).toBeNull();
      }),
    );
  });
});

describe('mergeDeltas', () => {
  it('applying the merge equals applying both in order, whatever the start state (law)', () => {
    fc.assert(
      fc.property(
        fc.option(fieldsArb, { nil: undefined }),
        deltaArb,
        deltaArb,
        deltaArb,
        (start, d1, d2, d3) => {
          const sequential = new Map<string, Row>(start ? [['k', { ...key, ...start }]] : []);
          for (const d of [d1, d2, d3]) applyDelta(sequential, 'k', d);
          const merged = new Map<string, Row>(start ? [['k', { ...key, ...start }]] : []);
          applyDelta(merged, 'k', mergeDeltas(mergeDeltas(d1, d2), d3));
          expect(merged).toEqual(sequential);
        },
      ),
    );
  });

  it('is associative (law)', () => {
    fc.assert(
      fc.property(deltaArb, deltaArb, deltaArb, (a, b, c) => {
        expect(mergeDeltas(mergeDeltas(a, b), c)).toEqual(mergeDeltas(a, mergeDeltas(b, c)));
      }),
    );
  });
});
