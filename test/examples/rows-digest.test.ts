/**
 * The dashboard's row digest (examples/dashboard/rows-digest.js), which the
 * browser test compares with its reference subscriber's: independent of row
 * and column order, different for different rows.
 */
import { describe, expect, it } from 'vitest';
import { canonicalRows, rowsDigest } from '../../examples/dashboard/rows-digest.js';

const rows = [
  { creator_id: 'c1', sku: 'A', stock: 3, at: new Date('2026-12-05T10:00:00Z') },
  { creator_id: 'c1', sku: 'B', stock: 0, at: null },
];

describe('rowsDigest', () => {
  it('ignores the order of rows and of columns', () => {
    const shuffled = [
      { at: null, stock: 0, sku: 'B', creator_id: 'c1' },
      { stock: 3, at: '2026-12-05T10:00:00.000Z', sku: 'A', creator_id: 'c1' },
    ];
    // A Date and its JSON string are the same value on the wire.
    expect(canonicalRows(shuffled)).toBe(canonicalRows(rows));
    expect(rowsDigest(shuffled)).toBe(rowsDigest(rows));
    expect(rowsDigest(rows)).toMatch(/^[0-9a-f]{14}$/);
  });

  it('differs when a value, a row or a column differs', () => {
    const digests = new Set([
      rowsDigest(rows),
      rowsDigest([{ ...rows[0]!, stock: 4 }, rows[1]!]),
      rowsDigest([rows[0]!]),
      rowsDigest([{ ...rows[0]!, extra: 1 }, rows[1]!]),
      rowsDigest([]),
    ]);
    expect(digests.size).toBe(5);
  });
});
