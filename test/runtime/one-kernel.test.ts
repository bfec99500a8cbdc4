/**
 * One of each (issue 11): retries, backoff and sleep loops come from
 * src/runtime only. p-retry is imported by one file, the host name is asked
 * for by one file, and no other part of src/ doubles its own delays, counts
 * its own attempts or sleeps in a loop of its own. The browser client (imports `core` only, so it keeps
 * its own reconnect backoff) and the contract suites (test helpers) are
 * outside the rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const OUTSIDE_THE_RULE = /^(runtime|client|testing)\//;

const TEXT = new Map(
  readdirSync(SRC, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => resolve(d.parentPath, d.name))
    .map((path) => [relative(SRC, path), readFileSync(path, 'utf8')] as const),
);

/** A delay that grows by itself: `Math.min(delay * 2, …)`, `delay *= 2`, `base * 2 ** attempt`. */
const OWN_BACKOFF = [
  /Math\.min\([^;]*\*\s*2\s*,/,
  /\b\w+\s*\*=\s*2\b/,
  /\*\*\s*\(?\s*(?:attempt|attempts|retry|retries|tries)\b/,
];

/** A retry loop written out: `for (let attempt = 1; ; attempt++) { try … catch … }`. */
const OWN_RETRY_LOOP = [/for \(let (?:attempt|attempts|tries|retry|retries)\b[^;]*;[^;]*;\s*\w+\+\+\)/];

/** A sleep written out: `await new Promise((resolve) => setTimeout(resolve, ms))`. */
const OWN_SLEEP = [/await new Promise(?:<void>)?\(\s*\(?(\w+)\)?\s*=>\s*setTimeout\(\s*\1\s*,/];

function filesMatching(patterns: readonly RegExp[]): string[] {
  return [...TEXT]
    .filter(([file, text]) => !OUTSIDE_THE_RULE.test(file) && patterns.some((re) => re.test(text)))
    .map(([file]) => file);
}

describe('one runtime kernel', () => {
  it('p-retry is imported by one source file, the host name asked for by one', () => {
    const importing = (re: RegExp) => [...TEXT].filter(([, text]) => re.test(text)).map(([file]) => file);
    expect(importing(/from 'p-retry'/)).toEqual(['runtime/with-retry.ts']);
    expect(importing(/\bhostname\(\)/)).toEqual(['runtime/lease-owner.ts']);
  });

  it('no part of src/ outside the runtime doubles its own delays', () => {
    expect(filesMatching(OWN_BACKOFF)).toEqual([]);
  });

  it('no part of src/ outside the runtime counts its own attempts', () => {
    expect(filesMatching(OWN_RETRY_LOOP)).toEqual([]);
  });

  it('no part of src/ outside the runtime sleeps in a loop of its own', () => {
    expect(filesMatching(OWN_SLEEP)).toEqual([]);
  });

  it('the scan finds each form it forbids', () => {
    const samples = {
      backoff: [
        'for (let delay = 2; ok; delay = Math.min(delay * 2, 50)) {',
        'wait *= 2;',
        'const ms = base * 2 ** attempt;',
      ],
      sleep: [
        'await new Promise((resolve) => setTimeout(resolve, delay));',
        'await new Promise<void>((r) => setTimeout(r, 100));',
      ],
    };
    for (const s of samples.backoff)
      expect(
        OWN_BACKOFF.some((re) => re.test(s)),
        s,
      ).toBe(true);
    for (const s of samples.sleep)
      expect(
        OWN_SLEEP.some((re) => re.test(s)),
        s,
      ).toBe(true);
    // A timeout raced against work is not a sleep loop; a size is not a delay.
    expect(
      OWN_SLEEP.some((re) => re.test('await Promise.race([p, new Promise((r) => setTimeout(r, ms))]);')),
    ).toBe(false);
    expect(OWN_BACKOFF.some((re) => re.test('const MB = 2 ** 20;'))).toBe(false);
  });
});
