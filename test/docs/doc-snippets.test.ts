/**
 * Every ```ts block of README.md and docs/*.md compiles, strict, against the
 * package's sources (issue 12: the docs' examples had rotted). Each block is a
 * module of its own; the host objects the docs assume (a pool, a store, a
 * logger, …) are declared in snippet-context.d.ts. A block that is a fragment
 * on purpose is fenced ```` ```ts no-check ````. How each block runs (see
 * `SnippetRun`; test/package/consumer-types.test.ts runs them on the packed
 * tarball) is declared by a comment before its fence, read and checked here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  documents,
  extractSnippets,
  parseRunComment,
  repositorySnippets,
  snippetModule,
  type DocSnippet,
} from './extract-snippets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTEXT = `${ROOT}test/docs/snippet-context.d.ts`;

/** `@creatorflow/sync[/sub]` → its source entry, read from tsup's entries (one per public subpath). */
function packagePaths(): Record<string, string[]> {
  const tsup = readFileSync(`${ROOT}tsup.config.ts`, 'utf8');
  const paths: Record<string, string[]> = {};
  for (const m of tsup.matchAll(/^\s+([\w-]+): '(src\/[^']+\.ts)'/gm)) {
    const name = m[1] === 'index' ? '@creatorflow/sync' : `@creatorflow/sync/${m[1]!}`;
    paths[name] = [`${ROOT}${m[2]!}`];
  }
  return paths;
}

/** The same mapping as the project's tsconfig.json declares it (what the tests and examples compile with). */
function tsconfigPaths(): Record<string, string[]> {
  const { config } = ts.readConfigFile(`${ROOT}tsconfig.json`, ts.sys.readFile);
  const declared = (config as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
  return Object.fromEntries(
    Object.entries(declared).map(([name, [target]]) => [name, [`${ROOT}${target!.replace(/^\.\//, '')}`]]),
  );
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
  paths: packagePaths(),
};

/** The root entry's exported names (values and types), for the imports a block leaves implicit. */
function rootExports(): Set<string> {
  const entry = `${ROOT}src/index.ts`;
  const program = ts.createProgram([entry], OPTIONS);
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
}

const snippets = repositorySnippets(ROOT);
const errors = new Map<DocSnippet, string[]>();

beforeAll(() => {
  const exports = rootExports();
  const files = new Map<string, { snippet: DocSnippet; text: string; headerLines: number }>();
  snippets.forEach((snippet, i) => {
    // Beside package.json ("type": "module"), so top-level await compiles; never written to disk.
    files.set(`${ROOT}.doc-snippet-${i}.ts`, { snippet, ...snippetModule(snippet, exports) });
  });
  const host = ts.createCompilerHost(OPTIONS);
  const { fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f)?.text ?? readFile.call(host, f);
  const program = ts.createProgram([...files.keys(), CONTEXT], OPTIONS, host);
  for (const [file, { snippet, headerLines }] of files) {
    const source = program.getSourceFile(file)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    const [doc, fence] = snippet.where.split(':') as [string, string];
    errors.set(
      snippet,
      diagnostics.map((d) => {
        const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
        return `${doc}:${Number(fence) + line - headerLines + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
}, 180_000);

describe('documentation snippets', () => {
  it('finds the blocks and few fragments', () => {
    expect(snippets.length).toBeGreaterThan(15);
    const all = documents(ROOT).reduce(
      (n, file) => n + extractSnippets(file, readFileSync(`${ROOT}${file}`, 'utf8'), true).length,
      0,
    );
    // Fragments stay the exception: most examples must compile as written.
    expect(all - snippets.length).toBeLessThanOrEqual(6);
  });

  it('maps every public entry: tsup.config.ts and tsconfig.json paths agree', () => {
    expect(Object.keys(OPTIONS.paths!).length).toBeGreaterThanOrEqual(10);
    expect(OPTIONS.paths).toEqual(tsconfigPaths());
  });

  it('skips blocks fenced `ts no-check` and adds the imports a block leaves implicit', () => {
    const md = '```ts\nconst a = 1;\n```\n\n```ts no-check\n{ partial }\n```\n```sh\nls\n```\n';
    expect(extractSnippets('x.md', md)).toEqual([
      { where: 'x.md:1', code: 'const a = 1;', run: { kind: 'run', setups: [], then: '' } },
    ]);
    expect(extractSnippets('x.md', md, true)).toHaveLength(2);
    const module = snippetModule(
      {
        where: 'x.md:1',
        code: "import { createEventStore } from '@creatorflow/sync';\nconst p = createProcessor({ store: createEventStore() });",
        run: { kind: 'run', setups: [], then: 'await p.stop();' },
      },
      new Set(['createEventStore', 'createProcessor', 'defineSaga']),
    );
    expect(module.text.split('\n')[0]).toBe("import { createProcessor } from '@creatorflow/sync';");
    expect(module.headerLines).toBe(1);
    // The run's closing code is part of the module (compiled with the block, sees its names).
    expect(module.text.split('\n').slice(-3)).toEqual(['await p.stop();', 'export {};', '']);
  });

  it('reads how a block runs from the comment before its fence', () => {
    const md = [
      '<!-- doc-run setup="pglite engine" then="await engine.close();" -->',
      '```ts',
      'engine;',
      '```',
      '<!-- compile-only: browser code -->',
      '```ts',
      'render([]);',
      '```',
      '```ts',
      'const a = 1;',
      '```',
    ].join('\n');
    expect(extractSnippets('x.md', md).map((s) => s.run)).toEqual([
      { kind: 'run', setups: ['pglite', 'engine'], then: 'await engine.close();' },
      { kind: 'compile-only', reason: 'browser code' },
      { kind: 'run', setups: [], then: '' },
    ]);
    expect(parseRunComment('<!-- a comment -->')).toBeUndefined();
    expect(() => parseRunComment('<!-- compile-only: -->')).toThrow(/needs a reason/);
    expect(() => parseRunComment('<!-- doc-run setups="pglite" -->')).toThrow(/setup=/);
    expect(() => extractSnippets('x.md', '<!-- doc-run -->\n```ts\n1;\n```')).toThrow(/^x\.md:2: /);
  });

  it('names only setups that exist, and keeps compile-only rare', () => {
    const setups = new Set(readdirSync(`${ROOT}test/docs/setups`).map((f) => f.replace(/\.ts$/, '')));
    const named = snippets.flatMap((s) =>
      s.run.kind === 'run' ? s.run.setups.map((n) => [s.where, n]) : [],
    );
    expect(named.filter(([, n]) => !setups.has(n!) || n === 'types' || n === 'host')).toEqual([]);
    const compileOnly = snippets.filter((s) => s.run.kind === 'compile-only');
    expect(compileOnly.length).toBeLessThanOrEqual(4);
    expect(snippets.length - compileOnly.length).toBeGreaterThanOrEqual(45);
  });

  it.each(snippets.map((s) => [s.where, s] as const))('%s compiles', (_where, snippet) => {
    expect(errors.get(snippet)).toEqual([]);
  });
});
