import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineChannels } from '../../src/realtime/channels.js';
import { InvalidFilterError } from '../../src/realtime/errors.js';
import { matchesFilter, parseFilter } from '../../src/realtime/filter.js';
import { filterToSql } from '../../src/realtime/filter-sql.js';
import { NUMERIC_TEXT_PATTERN } from '../../src/realtime/decimal.js';
import { isSyncError } from '../../src/core/errors.js';

const channel = defineChannels([
  {
    name: 'inventory_alerts',
    keyColumns: ['creator_id', 'sku'],
    tenantColumn: 'creator_id',
    filterableColumns: ['severity', 'stock'],
    throttleMs: 1000,
  },
]).get('inventory_alerts')!;

describe('parseFilter', () => {
  it('parses every operator joined by AND or &', () => {
    const f = parseFilter(
      channel,
      'severity=in.(warning,"crit,ical") AND stock=lt.10&sku=neq.A and stock=gte.1',
    );
    expect(f.conditions).toEqual([
      { column: 'severity', op: 'in', values: ['warning', 'crit,ical'], literals: ['warning', 'crit,ical'] },
      { column: 'stock', op: 'lt', values: ['10'], literals: ['10'] },
      { column: 'sku', op: 'neq', values: ['A'], literals: ['A'] },
      { column: 'stock', op: 'gte', values: ['1'], literals: ['1'] },
    ]);
  });

  it('keeps hostile text as a bound value, never as SQL', () => {
    const f = parseFilter(channel, "sku=eq.1'; drop table x --");
    expect(f.conditions).toEqual([
      { column: 'sku', op: 'eq', values: ["1'; drop table x --"], literals: ["1'; drop table x --"] },
    ]);
  });

  it('treats an empty filter as match-all', () => {
    expect(parseFilter(channel, '').conditions).toEqual([]);
    expect(matchesFilter(parseFilter(channel, undefined), { stock: 1 })).toBe(true);
  });

  it.each([
    ['price=eq.5', 'not filterable'],
    ['stock=like.5', 'unknown operator'],
    ['stock', 'malformed'],
    ['stock=eq.', 'missing value'],
    ['severity=in.warning', 'needs a list'],
    ['severity=in.(a,,b)', 'empty value'],
    ['severity=in.("a)', 'unterminated'],
    ['Stock=eq.1', 'malformed'],
    ['stock;drop=eq.1', 'malformed'],
  ])('rejects %s with INVALID_FILTER', (text, reason) => {
    let caught: unknown;
    try {
      parseFilter(channel, text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidFilterError);
    expect(isSyncError(caught) && caught.code).toBe('INVALID_FILTER');
    expect((caught as Error).message).toContain(reason);
  });

  it('compares numbers numerically and text as text; null never matches', () => {
    expect(matchesFilter(parseFilter(channel, 'stock=lt.10'), { stock: 9 })).toBe(true);
    expect(matchesFilter(parseFilter(channel, 'stock=lt.10'), { stock: '10.0' })).toBe(false);
    expect(matchesFilter(parseFilter(channel, 'stock=gt.9'), { stock: '10' })).toBe(true);
    expect(matchesFilter(parseFilter(channel, 'severity=gt.b'), { severity: 'c' })).toBe(true);
    expect(matchesFilter(parseFilter(channel, 'severity=neq.a'), { severity: null })).toBe(false);
  });

  it('equality agrees with in of one value (law)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.stringMatching(/^[a-z0-9]{1,5}$/)),
        fc.stringMatching(/^[a-z0-9]{1,5}$/),
        (value, lit) => {
          const row = { severity: value };
          expect(matchesFilter(parseFilter(channel, `severity=eq.${lit}`), row)).toBe(
            matchesFilter(parseFilter(channel, `severity=in.(${lit})`), row),
          );
        },
      ),
    );
  });
});

describe('filterToSql', () => {
  it('binds every value and only names allow-listed columns', () => {
    const where = filterToSql(
      channel,
      parseFilter(channel, "severity=in.(a,b) AND stock=lt.10 AND sku=eq.x'y"),
      ['c1'],
    );
    // Undeclared columns compare by content (see filter-agreement.property.test.ts); the
    // always-true first term of each keeps the database's type check of the value.
    const numeric = (col: string, p: number) =>
      `char_length("${col}"::text) <= 1000 AND "${col}"::text ~ $${p}::text`;
    expect(where.text).toBe(
      [
        '"creator_id" = ANY($1)',
        '("severity" = ANY($2) OR TRUE) AND "severity"::text = ANY($3::text[])',
        `("stock" < $4 OR TRUE) AND CASE WHEN ${numeric('stock', 6)} THEN "stock"::text::numeric < $7::numeric ELSE "stock"::text COLLATE "C" < $5::text END`,
        '("sku" = $8 OR TRUE) AND "sku"::text COLLATE "C" = $9::text',
      ].join(' AND '),
    );
    expect(where.params).toEqual([
      ['c1'],
      ['a', 'b'],
      ['a', 'b'],
      '10',
      '10',
      NUMERIC_TEXT_PATTERN,
      '10',
      "x'y",
      "x'y",
    ]);
  });
});
