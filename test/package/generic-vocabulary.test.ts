/**
 * The generic parts speak no domain (issue 11): no commerce word in an
 * identifier or a string literal of store, processing, sagas, realtime,
 * http, runtime, nor of the other generic parts and the engine's wiring
 * (comments are free to give examples). src/conflicts has its own list with
 * what is still pending there (test/conflicts/domain-words.test.ts); the
 * domain itself lives in src/commerce; the contract suites (src/testing) are
 * test helpers whose sample events may be a shop's.
 */
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  domainWordFindings,
  domainWords as domainWordsAllowing,
  sourceFilesOf,
} from '../support/domain-words.js';

const SRC = resolve(import.meta.dirname, '../../src');

/** The parts checked here: every generic one but conflicts, and the root files. */
const PARTS = [
  'core',
  'runtime',
  'access',
  'store',
  'http',
  'client',
  'processing',
  'realtime',
  'ingest',
  'sagas',
  'scheduling',
  'cache',
  'adapters',
  'cli',
  'engine.ts',
  'engine-options.ts',
  'index.ts',
];

/** Generic phrases holding a domain word, on the lowercase word sequence. */
const ALLOWED_PHRASES = ['order by', 'cursor order', 'in order', 'key order', 'total order'];

/** Domain words still in the generic parts, per file. Empty; it stays so. */
const PENDING: Readonly<Record<string, readonly string[]>> = {};

const domainWords = (text: string) => domainWordsAllowing(text, ALLOWED_PHRASES);

describe('the generic parts speak no domain', () => {
  it('splits and matches words as intended', () => {
    expect(domainWords('createShopClient')).toEqual(['shop']);
    expect(domainWords('UNKNOWN_ORDER')).toEqual(['order']);
    expect(domainWords('SELECT a FROM t ORDER BY a')).toEqual([]);
    expect(domainWords('not in cursor order')).toEqual([]);
    expect(domainWords('reorder')).toEqual([]);
  });

  it('names nothing of commerce in an identifier or string literal outside src/commerce and src/conflicts', () => {
    const found = PARTS.flatMap((part) => sourceFilesOf(resolve(SRC, part)))
      .map((path) => [relative(SRC, path), domainWordFindings(path, ALLOWED_PHRASES)] as const)
      .filter(([, hits]) => hits.length > 0);
    expect(Object.fromEntries(found)).toEqual(PENDING);
  });
});
