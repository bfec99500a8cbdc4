/**
 * Every option object of the public API carries an `@example` in its JSDoc
 * (issue 12: `ChannelDefinition` and conflict `priorities` had to be found in
 * the .d.ts). Checked over the exports of every public entry; a new option
 * type without an example fails here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Every public entry: tsup's entries, one per subpath of the package. */
const ENTRIES = [
  ...readFileSync(`${ROOT}tsup.config.ts`, 'utf8').matchAll(/^\s+[\w-]+: '(src\/[^']+\.ts)'/gm),
].map((m) => m[1]!);
const OPTION_NAME = /(Options|Config|ConfigInput|Definition)$/;

/** Exported interfaces and type aliases named like option objects, with whether they have an example. */
function optionTypes(): Map<string, boolean> {
  const files = ENTRIES.map((e) => `${ROOT}${e}`);
  const program = ts.createProgram(files, {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const found = new Map<string, boolean>();
  for (const file of files) {
    for (let symbol of checker.getExportsOfModule(
      checker.getSymbolAtLocation(program.getSourceFile(file)!)!,
    )) {
      if (!OPTION_NAME.test(symbol.name)) continue;
      if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      if (!(symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
      found.set(
        symbol.name,
        symbol.getJsDocTags(checker).some((tag) => tag.name === 'example'),
      );
    }
  }
  return found;
}

describe('option objects', () => {
  const types = optionTypes();

  it('are found', () => {
    expect(types.size).toBeGreaterThan(50);
    expect(types.get('ChannelDefinition')).toBe(true);
    expect(types.get('ConflictConfigInput')).toBe(true);
  });

  it('each has an @example', () => {
    const missing = [...types].filter(([, has]) => !has).map(([name]) => name);
    expect(missing).toEqual([]);
  });
});
