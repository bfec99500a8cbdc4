import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareDecimalText,
  formatDecimalText,
  isNumericText,
  orderingDouble,
} from '../../src/realtime/decimal.js';

/** A decimal as `unscaled × 10^-scale`, written in one of the forms numeric text allows. */
const written = fc
  .record({
    unscaled: fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
    scale: fc.integer({ min: -5, max: 8 }),
    zeros: fc.integer({ min: 0, max: 2 }),
    form: fc.constantFrom('plain', 'exponent'),
  })
  .map(({ unscaled, scale, zeros, form }) => {
    const sign = unscaled < 0n ? '-' : '';
    const digits = (unscaled < 0n ? -unscaled : unscaled).toString();
    const text =
      form === 'exponent' || scale < 0
        ? `${sign}${'0'.repeat(zeros)}${digits}e${-scale}`
        : `${sign}${'0'.repeat(zeros)}${digits.padStart(scale + 1, '0').slice(0, -scale || undefined)}${
            scale > 0 ? `.${digits.padStart(scale + 1, '0').slice(-scale)}${'0'.repeat(zeros)}` : ''
          }`;
    return { text, unscaled, scale };
  });

/** Exact comparison of two scaled integers. */
function exact(a: { unscaled: bigint; scale: number }, b: { unscaled: bigint; scale: number }): number {
  const scale = Math.max(a.scale, b.scale);
  const x = a.unscaled * 10n ** BigInt(scale - a.scale);
  const y = b.unscaled * 10n ** BigInt(scale - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

describe('decimal text', () => {
  it('compares exactly, as scaled integers do (law)', () => {
    fc.assert(
      fc.property(written, written, (a, b) => {
        expect(isNumericText(a.text)).toBe(true);
        expect(Math.sign(compareDecimalText(a.text, b.text))).toBe(exact(a, b));
        // The canonical text is the same number, and equal numbers share it.
        expect(compareDecimalText(formatDecimalText(a.text), a.text)).toBe(0);
        expect(formatDecimalText(a.text) === formatDecimalText(b.text)).toBe(exact(a, b) === 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('a literal’s ordering double orders like its text against every double (law)', () => {
    const literal = fc.oneof(
      written.map((w) => w.text),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.constantFrom('0.1', '0.3', '1e-320', '2.2250738585072014e-308', '9007199254740993', '1e308'),
    );
    const double = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0.1, 1e-320, -0),
    );
    fc.assert(
      fc.property(double, literal, (x, text) => {
        const d = orderingDouble(text);
        if (d === null) return;
        expect(Math.sign(x - d) || 0).toBe(Math.sign(compareDecimalText(String(x), text)));
      }),
      { numRuns: 5000 },
    );
    expect(orderingDouble('0.10000000000000001')).toBeNull();
    expect(orderingDouble('1e-320')).toBeNull(); // subnormal: 15 digits no longer name one double
  });

  it.each([
    ['007', '7'],
    ['-0', '0'],
    ['-0.000e5', '0'],
    ['1.50e2', '150'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['1e-3', '0.001'],
    ['-1.5E+1', '-15'],
    ['9007199254740993', '9007199254740993'],
  ])('writes %s as %s (PostgreSQL’s trim_scale)', (text, canonical) => {
    expect(formatDecimalText(text)).toBe(canonical);
  });

  it.each(['+5', 'NaN', 'Infinity', ' 5', '1e1000', '1.2.3', '-', '.', 'e5', '1e'])(
    '%j is not numeric text',
    (text) => {
      expect(isNumericText(text)).toBe(false);
    },
  );
});
