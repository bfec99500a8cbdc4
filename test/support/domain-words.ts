/**
 * The commerce vocabulary and the scan that finds it in source (issue 11):
 * test/package/generic-vocabulary.test.ts checks the generic parts with it,
 * test/conflicts/domain-words.test.ts the conflict engine. Comments are free
 * to give examples; identifiers and string or template literals are not.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';

/** Words of the commerce domain (singular; a trailing `s` is stripped before matching). */
export const DOMAIN_WORDS: ReadonlySet<string> = new Set([
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

/** Lowercase words of an identifier or literal: camelCase, snake_case, kebab, dots and spaces split. */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/**
 * Domain words of one identifier or literal, `allowedPhrases` (generic phrases
 * holding a domain word, such as 'order by') removed from its word sequence.
 */
export function domainWords(text: string, allowedPhrases: readonly string[]): string[] {
  let sequence = ` ${words(text).join(' ')} `;
  for (const phrase of allowedPhrases) sequence = sequence.replaceAll(` ${phrase} `, ' _ ');
  return sequence
    .split(' ')
    .filter((w) => DOMAIN_WORDS.has(w) || (w.endsWith('s') && DOMAIN_WORDS.has(w.slice(0, -1))));
}

/**
 * Every .ts file at `path` (a file or a folder), without generated SQL
 * indexes: they embed applied migrations verbatim, which are never edited.
 */
export function sourceFilesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.generated.ts'))
    .map((d) => resolve(d.parentPath, d.name));
}

/** Each identifier, string or template literal text of a file holding a domain word, sorted, once. */
export function domainWordFindings(path: string, allowedPhrases: readonly string[]): string[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = new Set<string>();
  const visit = (node: ts.Node): void => {
    let text: string | undefined;
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) text = node.text;
    else if (ts.isStringLiteralLike(node)) text = node.text;
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
      text = node.text;
    if (text !== undefined && domainWords(text, allowedPhrases).length > 0) out.add(text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return [...out].sort();
}
