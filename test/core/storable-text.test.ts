/**
 * Text PostgreSQL can store: the JSON check agrees with the character check
 * on every string, including the ones that spell an escape themselves
 * (a backslash followed by `u0000`), and the cleaning leaves storable text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStorableText, storableText, unstorableInJson } from '../../src/core/storable-text.js';

/** Strings made mostly of the characters that matter here. */
const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\0',
        '\\',
        '\\\\',
        'u',
        '0000',
        'd800',
        'dfff',
        '\ud800',
        '\udfff',
        '\ud83d',
        '\ude00',
        '"',
      ),
      fc.string({ maxLength: 3 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

describe('storable text', () => {
  it('unstorableInJson of JSON.stringify(s) names a problem exactly when s is not storable', () => {
    fc.assert(
      fc.property(tricky, (s) => {
        expect(unstorableInJson(JSON.stringify({ [s]: s })) !== undefined).toBe(!isStorableText(s));
      }),
      { numRuns: 2_000 },
    );
  });

  it('storableText leaves storable text as it is and makes any other storable', () => {
    fc.assert(
      fc.property(tricky, (s) => {
        const cleaned = storableText(s);
        expect(isStorableText(cleaned)).toBe(true);
        expect(cleaned.length).toBe(s.length);
        if (isStorableText(s)) expect(cleaned).toBe(s);
      }),
    );
  });

  it('isStorableText and storableText agree with the definition (no match of /[\\0\\p{Cs}]/u, each match replaced by U+FFFD)', () => {
    const unstorable = /[\0\p{Cs}]/u;
    fc.assert(
      fc.property(fc.oneof(tricky, fc.string({ unit: 'binary' })), (s) => {
        expect(isStorableText(s)).toBe(!unstorable.test(s));
        expect(storableText(s)).toBe(s.replace(/[\0\p{Cs}]/gu, '\uFFFD'));
      }),
      { numRuns: 1_000 },
    );
    // A non-string reaching it (an HTTP query's repeated parameter) is judged by its text, as before.
    expect(isStorableText(['a', 'b'] as unknown as string)).toBe(true);
    expect(isStorableText(['a\0'] as unknown as string)).toBe(false);
  });

  it('names the problem', () => {
    expect(unstorableInJson(JSON.stringify('a\u0000'))).toBe('a NUL character');
    expect(unstorableInJson(JSON.stringify('a\ud800'))).toBe('a lone UTF-16 surrogate');
    expect(unstorableInJson(JSON.stringify('\\u0000 \\ud800 \u{1F600}'))).toBeUndefined();
  });
});
