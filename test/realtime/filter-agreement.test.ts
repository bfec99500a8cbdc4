/**
 * Plain examples of the law in `filter-agreement.property.test.ts`: for each
 * filter, the rows the SQL snapshot returns are the rows the live matcher
 * accepts, on PGlite and PostgreSQL. Each case is a disagreement the property
 * once found.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/core/sql-client.js';
import type { Row } from '../../src/core/row-change.js';
import { defineChannels } from '../../src/realtime/channels.js';
import { matchesFilter, parseFilter } from '../../src/realtime/filter.js';
import { createSqlSnapshot } from '../../src/realtime/sql-snapshot.js';
import { compareCodePoints } from '../../src/realtime/values.js';
import { type TestDatabase, sqlEngines } from '../support/databases.js';

const channel = defineChannels([
  {
    name: 'examples',
    keyColumns: ['tenant_id', 'id'],
    tenantColumn: 'tenant_id',
    filterableColumns: ['big', 'num', 'code', 'u'],
    columnTypes: { big: 'bigint', num: 'number', code: 'text' },
    throttleMs: 0,
  },
]).get('examples')!;

/** The rows as a projection hands them over (`id` names each). */
const ROWS: readonly Row[] = [
  { tenant_id: 't1', id: 1, big: '9007199254740993', num: '0.1', code: '\u{1F600}', u: '007' },
  { tenant_id: 't1', id: 2, big: '9007199254740992', num: '0.10000000000000001', code: '\uFFFD', u: '10' },
  { tenant_id: 't1', id: 3, big: null, num: null, code: null, u: '9' },
];

/** Filter → the ids both sides must pick. */
const CASES: readonly [string, number[]][] = [
  // A double cannot tell 2^53 + 1 from 2^53: the matcher compares the digits, as `numeric` and `bigint` do.
  ['big=eq.09007199254740993', [1]],
  ['big=gt.9007199254740992', [1]],
  ['big=in.(+9007199254740993,1)', [1]],
  ['num=lt.0.10000000000000001', [1]],
  ['num=eq.0.1', [1]],
  // COLLATE "C" orders by code point: U+1F600 after U+FFFD, though its first UTF-16 unit (0xD83D) is smaller.
  ['code=gt.\uFFFD', [1]],
  ['code=lt.\u{1F600}', [2]],
  // An undeclared column compares by content on both sides: numeric text as numbers, the rest as text.
  ['u=eq.7', [1]],
  ['u=lt.10', [1, 3]],
  ['u=gt.9', [2]],
  ['u=in.(7,10)', [1, 2]],
  ['u=neq.9.0', [1, 2]],
  ['u=lt.abc', [1, 2, 3]],
];

describe.each(sqlEngines)('filter agreement examples on $name', (engine) => {
  let db: TestDatabase;

  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    const table = `${quoteIdent(db.schema)}.examples`;
    await db.sql.exec(`CREATE SCHEMA ${quoteIdent(db.schema)};
      CREATE TABLE ${table} (tenant_id text, id integer, big bigint, num numeric, code text, u text, PRIMARY KEY (tenant_id, id));`);
    for (const r of ROWS) {
      await db.sql.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6)`, [
        r.tenant_id,
        r.id,
        r.big,
        r.num,
        r.code,
        r.u,
      ]);
    }
  });
  afterAll(async () => db?.close());

  it.skipIf(!engine.available).each(CASES)('%s picks %j in SQL and in memory', async (text, want) => {
    const filter = parseFilter(channel, text);
    const snapshot = createSqlSnapshot(db.sql, { schema: db.schema, checkpoint: async () => '0:0' });
    const ids = (rows: readonly Row[]) => rows.map((r) => Number(r.id));
    const stored = (await snapshot(channel, parseFilter(channel, ''), ['t1'])).rows;
    expect(ids((await snapshot(channel, filter, ['t1'])).rows)).toEqual(want);
    expect(ids(ROWS.filter((r) => matchesFilter(filter, r)))).toEqual(want);
    expect(ids(stored.filter((r) => matchesFilter(filter, r)))).toEqual(want);
  });
});

describe('compareCodePoints', () => {
  it('orders as the code points do, which is how UTF-8 bytes (COLLATE "C") order (law)', () => {
    const points = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);
    const byPoints = (a: string, b: string) => {
      const [x, y] = [points(a), points(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return Math.sign(x.length - y.length);
    };
    const text = fc.string({ unit: 'grapheme', maxLength: 4 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(byPoints(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});
