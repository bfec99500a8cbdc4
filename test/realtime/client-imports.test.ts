import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module the client entry reaches (relative imports followed), with its bare imports. */
function reach(entry: string): { files: string[]; bare: string[] } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Without comments: JSDoc examples show imports that are not dependencies.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.add(spec);
    }
  };
  visit(resolve(entry));
  return { files: [...files], bare: [...bare] };
}

describe('@creatorflow/sync/client', () => {
  it('reaches no Node built-in and no server-only package', () => {
    const { files, bare } = reach('src/client/index.ts');
    const node = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    expect(bare.filter((b) => node.has(b) || b.startsWith('node:'))).toEqual([]);
    expect(bare.filter((b) => !['rxjs', 'zod'].includes(b))).toEqual([]);
    expect(files.some((f) => f.endsWith('src/realtime/sse.ts') || f.endsWith('src/realtime/hub.ts'))).toBe(
      false,
    );
  });
});
