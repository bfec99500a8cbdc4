/**
 * The conflict engine is generic: no commerce word in an identifier or a
 * string literal under src/conflicts (comments are free to give examples).
 * The domain supplies its vocabulary as configuration through
 * `@creatorflow/sync/commerce` (issue 11). Walks the AST with the TypeScript
 * compiler API, as test/package/layers.test.ts walks imports.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  domainWordFindings,
  domainWords as domainWordsAllowing,
  sourceFilesOf,
} from '../support/domain-words.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = resolve(ROOT, 'src/conflicts');

/**
 * Generic phrases that contain a domain word, each with why it is generic.
 * Matched on the lowercase word sequence, so `compareTotalOrder` and
 * 'total order' are both covered.
 */
const ALLOWED_PHRASES: readonly (readonly [phrase: string, why: string])[] = [
  ['total order', 'the deterministic ranking of contenders (pipeline/total-order.ts)'],
  ['order by', 'SQL ORDER BY'],
  ['arrival order', 'the order changes arrive in, which a resolution must not depend on'],
  ['key order', 'the order of JSON object keys'],
  ['in order', 'plain English sequence'],
];

const PHRASES = ALLOWED_PHRASES.map(([phrase]) => phrase);
const domainWords = (text: string) => domainWordsAllowing(text, PHRASES);

function scan(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const path of sourceFilesOf(DIR)) {
    const hits = domainWordFindings(path, PHRASES);
    if (hits.length > 0) found.set(relative(ROOT, path), hits);
  }
  return found;
}

describe('the conflict engine speaks no domain', () => {
  it('splits and matches words as intended', () => {
    expect(domainWords('orderValueField')).toEqual(['order']);
    expect(domainWords('tiktok_vs_manual_changes')).toEqual(['tiktok']);
    expect(domainWords('inventory.sync_conflict_detected')).toEqual(['inventory']);
    expect(domainWords('stockUnits')).toEqual(['stock']);
    expect(domainWords('compareTotalOrder')).toEqual([]);
    expect(domainWords('SELECT * FROM audit ORDER BY detected_at')).toEqual([]);
    expect(domainWords('reorder')).toEqual([]);
  });

  it('names nothing of commerce in an identifier or string literal under src/conflicts', () => {
    expect(Object.fromEntries(scan())).toEqual({});
  });
});
