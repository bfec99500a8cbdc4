/**
 * The conflict engine is generic: no commerce word in an identifier or a
 * string literal under src/conflicts (comments are free to give examples).
 * The domain supplies its vocabulary as configuration through
 * `@creatorflow/sync/commerce` (issue 11). Walks the AST with the TypeScript
 * compiler API, as test/package/layers.test.ts walks imports.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = resolve(ROOT, 'src/conflicts');

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

/** Lowercase words of an identifier or literal: camelCase, snake_case, kebab, dots and spaces split. */
function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Domain words of one identifier or literal, allowed phrases removed. */
function domainWords(text: string): string[] {
  let sequence = ` ${words(text).join(' ')} `;
  for (const [phrase] of ALLOWED_PHRASES) sequence = sequence.replaceAll(` ${phrase} `, ' _ ');
  return sequence
    .split(' ')
    .filter((w) => DOMAIN_WORDS.has(w) || (w.endsWith('s') && DOMAIN_WORDS.has(w.slice(0, -1))));
}

/**
 * Every .ts file under `dir`, except the generated SQL index: it embeds the
 * migrations verbatim (their `--` comments included), and an applied
 * migration is never edited.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.generated.ts'))
    .map((d) => resolve(d.parentPath, d.name));
}

/** `file: text` of each identifier, string or template literal holding a domain word. */
function findings(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    let text: string | undefined;
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) text = node.text;
    else if (ts.isStringLiteralLike(node)) text = node.text;
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
      text = node.text;
    if (text !== undefined && domainWords(text).length > 0) out.push(text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

function scan(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const path of sourceFiles(DIR)) {
    const hits = findings(path, readFileSync(path, 'utf8'));
    if (hits.length > 0) found.set(relative(ROOT, path), [...new Set(hits)].sort());
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
