/**
 * A consumer project: one source file per public subpath, as an ES module
 * (`.ts` in a `"type": "module"` package) and as CommonJS (`.cts`, which makes
 * TypeScript resolve the `require` condition, i.e. the `.d.cts` files).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackedManifest } from './packed-package.js';

/** How the consumer resolves modules; both are checked with `strict`. */
export const RESOLUTIONS = {
  node16: { module: 'node16', moduleResolution: 'node16', extensions: ['ts', 'cts'] },
  bundler: { module: 'preserve', moduleResolution: 'bundler', extensions: ['ts'] },
} as const;

export type Resolution = keyof typeof RESOLUTIONS;

/** Writes `package.json` and the sources; returns the sources per resolution. */
export function writeConsumer(dir: string, manifest: PackedManifest): Record<Resolution, string[]> {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  mkdirSync(join(dir, 'src'), { recursive: true });
  const subpaths = Object.keys(manifest.exports).filter((subpath) => subpath !== './package.json');
  const files = { node16: [] as string[], bundler: [] as string[] };
  for (const subpath of subpaths) {
    const specifier = manifest.name + subpath.slice(1);
    const name = subpath === '.' ? 'index' : subpath.slice(2);
    for (const extension of ['ts', 'cts'] as const) {
      const file = `src/${name}.${extension}`;
      writeFileSync(join(dir, file), `import * as api from '${specifier}';\nexport { api };\n`);
      for (const resolution of Object.keys(RESOLUTIONS) as Resolution[]) {
        if ((RESOLUTIONS[resolution].extensions as readonly string[]).includes(extension)) {
          files[resolution].push(file);
        }
      }
    }
  }
  return files;
}

/** Writes a tsconfig compiling `files` alone (with `extra` options) and returns its path. */
export function writeTsconfig(
  dir: string,
  label: string,
  resolution: Resolution,
  files: string[],
  extra: Record<string, unknown> = {},
): string {
  const { module, moduleResolution } = RESOLUTIONS[resolution];
  const path = join(dir, `tsconfig.${label}.json`);
  const compilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: 'es2022',
    module,
    moduleResolution,
    ...extra,
  };
  writeFileSync(path, JSON.stringify({ compilerOptions, files }, null, 2));
  return path;
}
