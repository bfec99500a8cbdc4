/**
 * The two places a subscription's filter runs must pick the same rows: the
 * snapshot's SQL on the read-model table and the live matcher in memory. On
 * random rows (numbers, numeric-looking text, leading zeros, negative zero,
 * exponent forms, unicode, null, booleans, dates and timestamps) and random
 * filters over every operator, the rows the SQL snapshot returns are exactly
 * the rows `matchesFilter` accepts — both the rows as a projection hands them
 * over and the rows as the driver reads them back — on PGlite and PostgreSQL.
 * Columns come declared (`columnTypes`) and undeclared (compared by content).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSyncError } from '../../src/core/errors.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import type { Row } from '../../src/core/row-change.js';
import { type ChannelDefinition, defineChannels } from '../../src/realtime/channels.js';
import { matchesFilter, parseFilter } from '../../src/realtime/filter.js';
import { createSqlSnapshot } from '../../src/realtime/sql-snapshot.js';
import { type TestDatabase, sqlEngines } from '../support/databases.js';

/** Each filterable column: its SQL type, the values rows hold, the literals filters use. */
interface Column {
  sql: string;
  declared?: NonNullable<ChannelDefinition['columnTypes']>[string];
  value: fc.Arbitrary<unknown>;
  literal: fc.Arbitrary<string>;
}

const NUMERIC_TEXTS = [
  '0',
  '7',
  '007',
  '-0',
  '0.0',
  '-0.000',
  '10',
  '9',
  '09',
  '1e3',
  '1E+3',
  '1000',
  '.5',
  '5.',
  '-.5',
  '-1.5e-2',
  '0.1',
  '0.10000000000000001',
  '1e-7',
  '9007199254740992',
  '9007199254740993',
  '09007199254740993',
  '123456789012345678901234567890',
  '1e21',
  '-1e21',
] as const;
// Text a text column may hold and a filter value may be (no `&`, `,`, `(`, `)`, `"`: filter syntax).
const TEXTS = [
  'a',
  'b',
  'A',
  'abc',
  'NaN',
  'Infinity',
  '+5',
  'x7',
  '7x',
  'true',
  'é',
  'e\u0301',
  '\uFFFD',
  '\uE000',
  '\u{1F600}',
  '\u{1F600}a',
  'ß',
  'Z',
  '-',
  '.',
  'e',
  '1e1000',
  '1.2.3',
  '--1',
] as const;
const INTEGERS = ['0', '7', '007', '-0', '-5', '10', '9', '+5', '2147483647', '-2147483648'] as const;

const safeLiteral = (s: string) => /^[^\s&(),"]([^&(),"]*[^\s&(),"])?$/.test(s) && !/\sand\s/i.test(s);
const unicodeText = fc.string({ unit: 'grapheme', maxLength: 3 }).filter((s) => !s.includes('\u0000'));
const textLiteral = fc.oneof(
  fc.constantFrom(...NUMERIC_TEXTS, ...TEXTS),
  unicodeText.filter(safeLiteral),
  fc.integer({ min: -20, max: 20 }).map(String),
);
const decimalText = fc
  .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 6 }))
  .map(([n, scale]) => {
    const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
    const point = digits.length - scale;
    return `${n < 0n ? '-' : ''}${digits.slice(0, point)}${scale > 0 ? `.${digits.slice(point)}` : ''}`;
  });
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 6 });
const day = fc
  .date({ min: new Date('1999-12-30T00:00:00Z'), max: new Date('2000-01-03T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const instant = fc
  .integer({ min: 0, max: 4 * 3_600_000 })
  .map((ms) => new Date(Date.UTC(2026, 11, 5) + ms * 997).toISOString());

const COLUMNS: Record<string, Column> = {
  u_text: {
    sql: 'text',
    value: nullable(fc.oneof(textLiteral, unicodeText, fc.constantFrom(' 5', '5 ', '1e-07', '-Infinity'))),
    literal: textLiteral,
  },
  u_int: {
    sql: 'integer',
    value: nullable(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(-0, 2147483647))),
    literal: fc.oneof(
      fc.constantFrom(...INTEGERS, 'abc', '1.5'),
      fc.integer({ min: -20, max: 20 }).map(String),
    ),
  },
  u_num: {
    sql: 'numeric',
    value: nullable(
      fc.oneof(fc.constantFrom(...NUMERIC_TEXTS, 'NaN'), decimalText, fc.integer({ min: -20, max: 20 })),
    ),
    literal: fc.oneof(fc.constantFrom(...NUMERIC_TEXTS, 'NaN', '+5', 'Infinity'), decimalText),
  },
  u_float: {
    sql: 'double precision',
    value: nullable(
      fc.oneof(
        fc.double(),
        fc.constantFrom(0.1, 0.30000000000000004, -0, 1e-7, 1e21, 2 ** 53 + 2, NaN, Infinity, 7, 10),
      ),
    ),
    literal: fc.constantFrom(
      ...NUMERIC_TEXTS.filter((t) => t !== '123456789012345678901234567890'),
      '0.30000000000000004',
      '0.3',
      'NaN',
      'Infinity',
      '-Infinity',
      '+5',
    ),
  },
  u_bool: {
    sql: 'boolean',
    value: nullable(fc.boolean()),
    literal: fc.constantFrom('true', 'false', 't', 'yes', '1', '0'),
  },
  d_text: { sql: 'text', declared: 'text', value: nullable(textLiteral), literal: textLiteral },
  d_big: {
    sql: 'bigint',
    declared: 'bigint',
    value: nullable(
      fc.oneof(
        fc.integer({ min: -20, max: 20 }),
        fc.constantFrom('9007199254740992', '9007199254740993', '-9007199254740993'),
      ),
    ),
    literal: fc.constantFrom(...INTEGERS, '9007199254740993', '09007199254740993', '9007199254740992'),
  },
  d_num: {
    sql: 'numeric',
    declared: 'number',
    value: nullable(fc.oneof(fc.constantFrom(...NUMERIC_TEXTS), decimalText)),
    literal: fc.oneof(fc.constantFrom(...NUMERIC_TEXTS, '+5'), decimalText),
  },
  d_bool: {
    sql: 'boolean',
    declared: 'boolean',
    value: nullable(fc.boolean()),
    literal: fc.constantFrom('true', 'false'),
  },
  d_day: { sql: 'date', declared: 'date', value: nullable(day), literal: day },
  d_at: { sql: 'timestamptz', declared: 'timestamp', value: nullable(instant), literal: instant },
};
const NAMES = Object.keys(COLUMNS);

const channel = defineChannels([
  {
    name: 'agreement',
    keyColumns: ['tenant_id', 'id'],
    tenantColumn: 'tenant_id',
    filterableColumns: NAMES,
    columnTypes: Object.fromEntries(
      Object.entries(COLUMNS).flatMap(([name, c]) => (c.declared ? [[name, c.declared]] : [])),
    ),
    throttleMs: 0,
  },
]).get('agreement')!;

const rowArb: fc.Arbitrary<Row> = fc.record(
  Object.fromEntries(NAMES.map((name) => [name, COLUMNS[name]!.value])) as Record<
    string,
    fc.Arbitrary<unknown>
  >,
);
const termArb: fc.Arbitrary<string> = fc.constantFrom(...NAMES).chain((name) => {
  const literal = COLUMNS[name]!.literal;
  return fc.oneof(
    fc
      .tuple(fc.constantFrom('eq', 'neq', 'lt', 'lte', 'gt', 'gte'), literal)
      .map(([op, value]) => `${name}=${op}.${value}`),
    fc
      .uniqueArray(literal, { minLength: 1, maxLength: 3 })
      .map((values) => `${name}=in.(${values.map((v) => `"${v}"`).join(',')})`),
  );
});

const ids = (rows: readonly Row[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

describe.each(sqlEngines)('filter agreement (SQL snapshot = live matcher) on $name', (engine) => {
  let db: TestDatabase;
  let table: string;

  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    table = `${quoteIdent(db.schema)}.agreement`;
    const columns = NAMES.map((name) => `${name} ${COLUMNS[name]!.sql}`).join(', ');
    await db.sql.exec(`CREATE SCHEMA ${quoteIdent(db.schema)};
      CREATE TABLE ${table} (tenant_id text, id integer, ${columns}, PRIMARY KEY (tenant_id, id));`);
  });
  afterAll(async () => db?.close());

  it.skipIf(!engine.available)('returns exactly the rows the matcher accepts (law)', async () => {
    const snapshot = createSqlSnapshot(db.sql, { schema: db.schema, checkpoint: async () => '0:0' });
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { maxLength: 8 }),
        fc.array(termArb, { minLength: 1, maxLength: 2 }),
        async (generated, terms) => {
          const rows: Row[] = generated.map((r, id) => ({ tenant_id: 't1', id, ...r }));
          await db.sql.query(`DELETE FROM ${table}`);
          const names = ['tenant_id', 'id', ...NAMES];
          if (rows.length > 0) {
            const tuples = rows.map(
              (_, i) => `(${names.map((__, j) => `$${i * names.length + j + 1}`).join(', ')})`,
            );
            await db.sql.query(
              `INSERT INTO ${table} (${names.join(', ')}) VALUES ${tuples.join(', ')}`,
              rows.flatMap((r) => names.map((n) => r[n])),
            );
          }
          const filter = parseFilter(channel, terms.join(' AND '));
          const stored = (await snapshot(channel, parseFilter(channel, ''), ['t1'])).rows;
          let selected: readonly Row[];
          try {
            selected = (await snapshot(channel, filter, ['t1'])).rows;
          } catch (err) {
            // The database refuses a value its column cannot hold: no rows at all, in memory neither.
            if (isSyncError(err) && err.code === 'INVALID_FILTER') return void refused++;
            throw err;
          }
          const want = { filter: filter.text, ids: ids(selected) };
          expect({ filter: filter.text, ids: ids(stored.filter((r) => matchesFilter(filter, r))) }).toEqual(
            want,
          );
          expect({ filter: filter.text, ids: ids(rows.filter((r) => matchesFilter(filter, r))) }).toEqual(
            want,
          );
        },
      ),
      { numRuns: 150 },
    );
    // The refusals must stay the exception, or the law would say little.
    expect(refused).toBeLessThan(50);
  });
});
