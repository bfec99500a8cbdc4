/**
 * Generic modules never branch on the store's SQL port: they reach their
 * state through ports (ProcessingState, projection storage, the conflict
 * audit, the EventStore), and one selector per module — a file named
 * `*-of.ts` — picks the SQL or the memory adapter. The store itself, the
 * driver adapters, the commerce domain's own SQL adapters (but not its read
 * models, a configuration of processing's projection set; nor its conflict
 * flow, whose staging is a port picked in `contender-staging-of.ts`; nor the
 * inventory sync, which reads the read models through the set's port) and the
 * contract suites (which check SQL adapters) are outside the rule. Nothing
 * outside the store reads the `events` table: `EventStore.readAll({ tx })`
 * reads the log inside a caller's transaction.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

/**
 * Where `store.sql` may be read: adapter selectors, the store, drivers, the
 * domain outside its read models, its conflict flow and the inventory sync,
 * the contract suites (they check adapters).
 */
const ALLOWED = [
  /^store\//,
  /^adapters\//,
  /^commerce\/(?!read-models\/|conflicts\/|inventory\/sync-inventory-levels\.ts$)/,
  /^testing\//,
  /-of\.ts$/,
];

/** `store.sql`, `this.#store.sql`, `options.store.sql`, and `const { sql } = store`. */
const READS_STORE_SQL = [
  /\bstore\.sql\b/,
  /\{[^}]*\bsql\b[^}]*\}\s*=\s*(?:this\.#?|options\.|context\.)?store\b/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The files of `src` (relative paths) whose text matches one of the patterns, outside the allowed ones. */
function offenders(patterns: readonly RegExp[], allowed: readonly RegExp[] = ALLOWED): string[] {
  return sourceFiles(SRC)
    .map((f) => ({ file: relative(SRC, f), text: readFileSync(f, 'utf8') }))
    .filter(({ file }) => !allowed.some((re) => re.test(file)))
    .filter(({ text }) => patterns.some((re) => re.test(text)))
    .map(({ file }) => file);
}

describe('no store.sql outside adapters', () => {
  it('no generic module reads the store’s SQL port; selectors (*-of.ts) pick adapters', () => {
    expect(offenders(READS_STORE_SQL)).toEqual([]);
  });

  it('the scan finds each form it forbids', () => {
    const samples = [
      'const sql = store.sql;',
      'if (!this.#store.sql) return;',
      'const db = options.store.sql ?? fallback;',
      'const { sql, schema } = store;',
    ];
    for (const sample of samples)
      expect(
        READS_STORE_SQL.some((re) => re.test(sample)),
        sample,
      ).toBe(true);
    expect(READS_STORE_SQL.some((re) => re.test('const state = processingStateOf(store);'))).toBe(false);
  });

  it('the commerce read models, conflict flow and inventory sync are inside the rule', () => {
    expect(ALLOWED.some((re) => re.test('commerce/read-models/read-model-set.ts'))).toBe(false);
    expect(ALLOWED.some((re) => re.test('commerce/conflicts/sync-conflict-processor.ts'))).toBe(false);
    expect(ALLOWED.some((re) => re.test('commerce/conflicts/contender-staging-of.ts'))).toBe(true);
    expect(ALLOWED.some((re) => re.test('commerce/inventory/sync-inventory-levels.ts'))).toBe(false);
    expect(ALLOWED.some((re) => re.test('commerce/inventory/inventory-service.ts'))).toBe(true);
  });

  it('no generic module picks SQL or memory adapters by its own `sql` option outside a selector', () => {
    const picksBySqlOption = [/\boptions\.sql\s*\?(?![?.])/];
    expect(picksBySqlOption.some((re) => re.test('options.storage ?? (options.sql ? a : b)'))).toBe(true);
    expect(picksBySqlOption.some((re) => re.test('const db = options.sql ?? fallback;'))).toBe(false);
    // createAccessAudit({ sql }) is itself the access module's public selector.
    const selectors = [...ALLOWED, /^access\/access-audit\.ts$/];
    expect(offenders(picksBySqlOption, selectors)).toEqual([]);
  });

  it('nothing outside the store reads the events table around the EventStore port', () => {
    const readsEvents = [/\bFROM \$\{[^}]*\}\.events\b/, /\bFROM events\b/];
    expect(offenders(readsEvents, [/^store\//])).toEqual([]);
  });
});
