/**
 * The layer table of docs/architecture.md is an ESLint rule: a forbidden
 * import fails the lint, an allowed one passes, every folder of src/ has a
 * row, and the table is acyclic — so no import cycle between folders can pass.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { GENERIC, LAYERS } from '../../scripts/layers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: ROOT });

/** Every .ts file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => resolve(d.parentPath, d.name));
}

/** The part of src/ (row of the table) a path lies in; a root file's `.js` import names its `.ts`. */
function partOf(path: string): string {
  const first = relative(resolve(ROOT, 'src'), path).split(sep)[0]!;
  return first.endsWith('.js') ? `${first.slice(0, -3)}.ts` : first;
}

/** The layer-rule messages ESLint reports for `code` as the file `path`. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, path) });
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' && m.severity === 2)
    .map((m) => m.message);
}

describe('the layer rule', () => {
  it.each([
    [
      'src/realtime/forbidden.ts',
      "import { Processor } from '../processing/processor.js';\nexport { Processor };",
    ],
    ['src/realtime/sql/forbidden.ts', "export type { Processor } from '../../processing/processor.js';"],
    [
      'src/core/forbidden.ts',
      "import type { EventStore } from '../store/types.js';\nexport type { EventStore };",
    ],
    ['src/client/forbidden.ts', "export { createRealtimeHub } from '../realtime/hub.js';"],
    ['src/store/forbidden.ts', "export { createProcessor } from '../processing/processor.js';"],
    ['src/processing/projection/forbidden.ts', "export { defineSaga } from '../../sagas/define-saga.js';"],
    ['src/ingest/forbidden.ts', "export { createCommerce } from '../commerce/create-commerce.js';"],
    ['src/engine.ts', "export { commerceEngineConfig } from './commerce/engine-config.js';"],
    ['src/index.ts', "export * from './commerce/index.js';"],
    ['src/sagas/forbidden.ts', "export { createSyncEngine } from '../engine.js';"],
  ])('refuses %s', async (path, code) => {
    const errors = await layerErrors(path, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Layer rule \(docs\/architecture\.md\): src\/\S+ may import only /);
  });

  it.each([
    ['src/realtime/allowed.ts', "export { START_CHECKPOINT } from '../core/checkpoint.js';"],
    ['src/sagas/allowed.ts', "export { createProcessor } from '../processing/processor.js';"],
    [
      'src/commerce/ingest/tiktok/allowed.ts',
      "export { createProcessor } from '../../../processing/processor.js';",
    ],
    // A subfolder named like a part is not that part.
    ['src/commerce/ingest/allowed.ts', "export * from './tiktok/webhook-handler.js';"],
    ['src/engine.ts', "export { createRealtimeHub } from './realtime/hub.js';"],
  ])('allows %s', async (path, code) => {
    expect(await layerErrors(path, code)).toEqual([]);
  });

  it.each([
    ['src/realtime/sneaky.ts', "export { createProcessor } from './../processing/processor.js';"],
    ['src/realtime/sneaky.ts', "export { createProcessor } from '../realtime/../processing/processor.js';"],
    ['src/realtime/sql/sneaky.ts', "export * from '../../core/./../processing/index.js';"],
  ])('refuses %s written round about: %s', async (path, code) => {
    const errors = await layerErrors(path, code);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/Layer rule: write relative imports without/);
  });

  it('refuses a bare folder import of a forbidden part', async () => {
    expect(await layerErrors('src/realtime/bare.ts', "export * from '../processing';")).toHaveLength(1);
  });

  it.each([
    "export const load = () => import('../processing/processor.js');",
    'export const load = (n: string) => import(`../processing/${n}.js`);',
  ])('refuses a relative dynamic import, which the import rule cannot see: %s', async (code) => {
    const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, 'src/realtime/lazy.ts') });
    const messages = result!.messages
      .filter((m) => m.ruleId === 'no-restricted-syntax')
      .map((m) => m.message);
    expect(messages).toEqual([
      'Layer rule: import relative modules statically, so the layer rule sees them.',
    ]);
  });

  it('holds for every import of src/ as it is, at any depth', () => {
    const wrong: string[] = [];
    for (const file of sourceFiles(resolve(ROOT, 'src'))) {
      const from = partOf(file);
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (!fileName.startsWith('.')) continue;
        const to = partOf(resolve(dirname(file), fileName));
        if (to !== from && !(LAYERS as Record<string, string[]>)[from]!.includes(to)) {
          wrong.push(`${relative(ROOT, file)} imports ${fileName} (${to})`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('still keeps database drivers in the adapters', async () => {
    const [result] = await eslint.lintText("import pg from 'pg';\nexport { pg };", {
      filePath: resolve(ROOT, 'src/store/driver.ts'),
    });
    expect(result!.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
    expect(await layerErrors('src/adapters/driver.ts', "import pg from 'pg';\nexport { pg };")).toEqual([]);
  });

  it('has a row for every folder and root file of src/', () => {
    const parts = readdirSync(resolve(ROOT, 'src'), { withFileTypes: true }).map((d) => d.name);
    expect(parts.filter((p) => !(p in LAYERS))).toEqual([]);
  });

  it('matches the table of docs/architecture.md row by row', () => {
    // A row: | `part/` (subpath) | owns | may import |, where "the generic parts" names GENERIC.
    const doc = readFileSync(resolve(ROOT, 'docs/architecture.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([^`]+)`[^|]*\|[^\n]*\| ([^|\n]+) \|$/gm)].map(
      ([, part, imports]) => {
        const named = [...imports!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, ''));
        const all = /generic part/.test(imports!) ? [...GENERIC, ...named] : named;
        return [part!.replace(/\/$/, ''), [...new Set(all)].filter((p) => p !== part).sort()] as const;
      },
    );
    const table = Object.fromEntries(
      Object.entries(LAYERS).map(([part, allowed]) => [part, [...allowed].sort()]),
    );
    expect(Object.fromEntries(rows)).toEqual(table);
  });

  it('is acyclic: every part imports only parts on earlier rows', () => {
    const order = Object.keys(LAYERS);
    for (const [part, allowed] of Object.entries(LAYERS)) {
      for (const dep of allowed) {
        expect(order.indexOf(dep), `${part} → ${dep}`).toBeGreaterThanOrEqual(0);
        expect(order.indexOf(dep), `${part} → ${dep}`).toBeLessThan(order.indexOf(part));
      }
    }
  });
});
