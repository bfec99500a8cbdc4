/**
 * `inlineParams`: a statement with its parameters written out as literals
 * means what it meant with the parameters (law, checked on PostgreSQL), and
 * is left alone when it cannot be written out exactly.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineParams } from '../../src/adapters/pg-inline-params.js';
import { postgresEngine, postgresUrl } from '../support/databases.js';

describe('inlineParams', () => {
  it('writes strings, numbers, booleans, NULL, arrays and JSON as the driver sends them, quoted', () => {
    expect(inlineParams('SELECT $1, $2, $3, $4, $5', ["it's", 1.5, true, null, undefined])).toBe(
      "SELECT 'it''s', '1.5', 'true', NULL, NULL",
    );
    expect(inlineParams('SELECT $1::text[]', [['a', null, 'q"b\\c']])).toBe(
      String.raw`SELECT  E'{"a",NULL,"q\\"b\\\\c"}'::text[]`,
    );
    expect(inlineParams('SELECT $1::jsonb', [{ a: [1, 'x'] }])).toBe(`SELECT '{"a":[1,"x"]}'::jsonb`);
    expect(inlineParams('SELECT $1', ['back\\slash'])).toBe("SELECT  E'back\\\\slash'");
  });

  it('replaces $1 and $10 as different parameters, and no $n inside literals, identifiers, comments or dollar quotes', () => {
    const params = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(inlineParams('SELECT $1, $10', params)).toBe("SELECT 'v1', 'v10'");
    expect(inlineParams(`SELECT '$1', "a$1", $q$ $1 $q$, $$ $2 $$ -- $1\n, /* $1 */ $2, x$1`, params)).toBe(
      `SELECT '$1', "a$1", $q$ $1 $q$, $$ $2 $$ -- $1\n, /* $1 */ 'v2', x$1`,
    );
  });

  it('leaves alone what it cannot write out exactly', () => {
    expect(inlineParams('SELECT $1', [Buffer.from('x')])).toBeUndefined();
    expect(inlineParams('SELECT $1', ['nul \0 inside'])).toBeUndefined();
    expect(inlineParams('SELECT $1', [['nul \0 in an array']])).toBeUndefined();
    expect(inlineParams('SELECT $1', [new Date(0)])).toBeUndefined();
    expect(inlineParams('SELECT $1', [[new Date(0)]])).toBeUndefined();
    expect(inlineParams('SELECT $1', [{ toPostgres: () => 'x' }])).toBeUndefined();
    expect(inlineParams('SELECT $2', ['only one'])).toBeUndefined();
    expect(inlineParams("SELECT E'\\'' || $1", ['x'])).toBeUndefined();
    expect(inlineParams("SELECT 'unterminated", [])).toBeUndefined();
  });
});

describe.skipIf(!postgresEngine.available)('inlineParams on PostgreSQL', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 1 });
  });
  afterAll(() => pool.end());

  it('law: the inlined statement returns what the statement with parameters returns', async () => {
    const scalar = fc.oneof(
      fc.string({ unit: 'binary' }).map((s) => s.replace(/\0/g, '')),
      fc.constantFrom("'", "''", '\\', "\\\\'", '"', '$1', '$$', "E'x'", '--', '/*'),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.oneof(
      scalar,
      fc.array(
        fc.oneof(
          fc.string({ unit: 'binary' }).map((s) => s.replace(/\0/g, '')),
          fc.constant(null),
        ),
      ),
      fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
    );
    const samples = fc.sample(fc.tuple(value, value), { numRuns: 150, seed: 7 });
    for (const params of samples) {
      const text = 'SELECT $1::text AS a, $2::text AS b, $1::text = $2::text AS same';
      const expected = (await pool.query(text, params)).rows;
      const inlined = inlineParams(text, params);
      expect(inlined).toBeDefined();
      expect((await pool.query(inlined!)).rows).toEqual(expected);
    }
  });
});
