/**
 * The type-level tests of this folder hold only if they compile: an
 * `expectTypeOf` that no longer matches, or a `@ts-expect-error` over a line
 * that now compiles (a wrong event type or payload accepted), is a compile
 * error, which vitest alone does not see. So the test run compiles them too,
 * with the project's tsconfig (strict), besides `tsc` in `npm run lint`.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const FILES = readdirSync(HERE)
  .filter((f) => f.endsWith('.test.ts') && f !== 'compile-checks.test.ts')
  .map((f) => `${HERE}${f}`);

function diagnostics(): string[] {
  const { config } = ts.readConfigFile(`${ROOT}tsconfig.json`, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const program = ts.createProgram(FILES, { ...options, noEmit: true });
  return FILES.flatMap((file) => {
    const source = program.getSourceFile(file)!;
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
      (d) => {
        const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
        return `${file.slice(ROOT.length)}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      },
    );
  });
}

describe('type-level tests', () => {
  it('compile, strict: every expectTypeOf holds and every @ts-expect-error line is an error', () => {
    expect(FILES.map((f) => f.slice(HERE.length))).toEqual(
      expect.arrayContaining(['typed-events.test.ts', 'typed-engine.test.ts']),
    );
    expect(diagnostics()).toEqual([]);
  }, 180_000);
});
