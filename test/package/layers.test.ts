/**
 * The layer table of docs/architecture.md is an ESLint rule: a forbidden
 * import fails the lint, an allowed one passes, every folder of src/ has a
 * row, and the table is acyclic — so no import cycle between folders can pass.
 */
import { readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../../scripts/layers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: ROOT });

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
