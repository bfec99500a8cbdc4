/**
 * The generic parts speak no domain (issue 11): no commerce word in an
 * identifier or a string literal of store, processing, sagas, realtime,
 * http, runtime, nor of the other generic parts and the engine's wiring
 * (comments are free to give examples). src/conflicts has its own list with
 * what is still pending there (test/conflicts/domain-words.test.ts); the
 * domain itself lives in src/commerce; the contract suites (src/testing) are
 * test helpers whose sample events may be a shop's.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

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

/** Words of the commerce domain (singular; a trailing `s` is stripped before matching). */
const DOMAIN_WORDS = new Set([
  'commerce',
  'creator',
  'tiktok',
  'shop',
  'shopify',
  'order',
  'payment',
  'refund',
  'stock',
  'inventory',
  'revenue',
  'product',
  'sku',
  'price',
  'shipping',
  'shipment',
  'fulfillment',
  'warehouse',
  'customer',
]);

/** Generic phrases holding a domain word, on the lowercase word sequence. */
const ALLOWED_PHRASES = ['order by', 'cursor order', 'in order', 'key order', 'total order'];

/** Domain words still in the generic parts, per file. Empty; it stays so. */
const PENDING: Readonly<Record<string, readonly string[]>> = {};

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

function domainWords(text: string): string[] {
  let sequence = ` ${words(text).join(' ')} `;
  for (const phrase of ALLOWED_PHRASES) sequence = sequence.replaceAll(` ${phrase} `, ' _ ');
  return sequence
    .split(' ')
    .filter((w) => DOMAIN_WORDS.has(w) || (w.endsWith('s') && DOMAIN_WORDS.has(w.slice(0, -1))));
}

/** Every .ts file of a part, without generated SQL indexes (applied migrations are never edited). */
function filesOf(part: string): string[] {
  const path = resolve(SRC, part);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.generated.ts'))
    .map((d) => resolve(d.parentPath, d.name));
}

/** Each identifier, string or template literal text of a file holding a domain word. */
function findings(path: string): string[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = new Set<string>();
  const visit = (node: ts.Node): void => {
    let text: string | undefined;
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) text = node.text;
    else if (ts.isStringLiteralLike(node)) text = node.text;
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
      text = node.text;
    if (text !== undefined && domainWords(text).length > 0) out.add(text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return [...out].sort();
}

describe('the generic parts speak no domain', () => {
  it('splits and matches words as intended', () => {
    expect(domainWords('createShopClient')).toEqual(['shop']);
    expect(domainWords('UNKNOWN_ORDER')).toEqual(['order']);
    expect(domainWords('SELECT a FROM t ORDER BY a')).toEqual([]);
    expect(domainWords('not in cursor order')).toEqual([]);
    expect(domainWords('reorder')).toEqual([]);
  });

  it('names nothing of commerce in an identifier or string literal outside src/commerce and src/conflicts', () => {
    const found = PARTS.flatMap(filesOf)
      .map((path) => [relative(SRC, path), findings(path)] as const)
      .filter(([, hits]) => hits.length > 0);
    expect(Object.fromEntries(found)).toEqual(PENDING);
  });
});
