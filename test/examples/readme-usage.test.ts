/**
 * The README's Usage snippet, run as its own process exactly as printed
 * (package imports pointed at the sources): it must print what it says and
 * exit as soon as it is done — no live subscription, poll or database left
 * pending after `store.close()` and `db.close()`.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeUsage } from '../docs/extract-snippets.js';
import { runProgram } from '../support/child-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The README's quickstart, its package imports pointed at the sources. */
function usageSnippet(): string {
  return readmeUsage(ROOT)
    .replace(/'@creatorflow\/sync\/pglite'/g, `'${ROOT}src/adapters/pglite.ts'`)
    .replace(/'@creatorflow\/sync\/pg'/g, `'${ROOT}src/adapters/pg.ts'`)
    .replace(/'@creatorflow\/sync'/g, `'${ROOT}src/index.ts'`);
}

describe('README usage', () => {
  it('runs as printed and exits at once after closing', { timeout: 120_000 }, async () => {
    const script = `${ROOT}test/examples/.readme-usage-${process.pid}.mts`;
    writeFileSync(script, `${usageSnippet()}\nconsole.log('done ' + Date.now());\n`);
    try {
      const child = runProgram(script, {});
      const done = await child.line(/^done (\d+)$/, 90_000);
      const code = await child.exited;
      const exitedAfterMs = Date.now() - Number(done[1]);
      expect(code, child.stderr()).toBe(0);
      // PGlite keeps a timer until db.close(); a leftover poll would crash on a closed store.
      expect(exitedAfterMs).toBeLessThan(5000);
      // What the snippet's comments promise.
      await expect(child.line(/^1 \[ 1 \]$/, 1000)).resolves.toBeTruthy();
      await expect(child.line(/^0 1$/, 1000)).resolves.toBeTruthy();
    } finally {
      rmSync(script, { force: true });
    }
  });
});
