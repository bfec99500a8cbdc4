/**
 * The documentation's examples in the consumer project: every checked ```ts
 * block of README.md and docs/*.md becomes a module importing the package by
 * name, so it compiles against the packed tarball's declarations (not src),
 * with the host objects the docs assume (test/docs/snippet-context.d.ts). The
 * third-party packages the examples use are the consumer's own dependencies,
 * linked from this repository's node_modules as the package's are.
 */
import { copyFileSync, existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { repositorySnippets, snippetModule, type DocSnippet } from '../docs/extract-snippets.js';
import { REPO_ROOT } from './packed-package.js';

/** What the examples import besides the package, its dependencies and its peers. */
const APP_DEPENDENCIES = ['express', '@types/express', 'pino', 'ws', '@types/ws', '@types/pg'];

/** Options a Node app compiling the examples sets on top of the consumer's strict ones. */
export const DOC_OPTIONS = {
  types: ['node'],
  lib: ['es2023', 'dom'],
  esModuleInterop: true,
  // The package's own declarations are checked by the per-subpath programs.
  skipLibCheck: true,
} as const;

/** The examples written into the consumer. */
export interface ConsumerDocs {
  /** The sources to compile (the examples and the host context), relative to the consumer. */
  readonly files: string[];
  /** The names the packed root entry exports (the imports a block leaves implicit come from these). */
  readonly exports: ReadonlySet<string>;
  /** Rewrites compiler output naming an example's file to the document and line it comes from. */
  where(output: string): string;
}

/** The names the packed root entry exports, read from its declarations. */
function packedRootExports(dir: string, name: string): Set<string> {
  const entry = join(dir, 'node_modules', name, 'dist', 'index.d.ts');
  const program = ts.createProgram([entry], { noEmit: true, types: ['node'], skipLibCheck: true });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
}

/** Links the examples' own dependencies, writes one module per example and the host context. */
export function writeConsumerDocs(dir: string, packageName: string): ConsumerDocs {
  for (const dependency of APP_DEPENDENCIES) {
    const link = join(dir, 'node_modules', dependency);
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules', dependency)), link, 'dir');
  }
  mkdirSync(join(dir, 'docs'), { recursive: true });
  const exports = packedRootExports(dir, packageName);
  const origin = new Map<string, { snippet: DocSnippet; headerLines: number }>();
  const files = ['docs/snippet-context.d.ts'];
  copyFileSync(join(REPO_ROOT, 'test/docs/snippet-context.d.ts'), join(dir, files[0]!));
  repositorySnippets(REPO_ROOT).forEach((snippet, i) => {
    const file = `docs/snippet-${i}.ts`;
    const { text, headerLines } = snippetModule(snippet, exports);
    writeFileSync(join(dir, file), text);
    origin.set(file, { snippet, headerLines });
    files.push(file);
  });
  return {
    files,
    exports,
    where: (output) =>
      output.replace(/(docs\/snippet-\d+\.ts)\((\d+),\d+\)/g, (match, file: string, line: string) => {
        const from = origin.get(file);
        if (!from) return match;
        const [doc, fence] = from.snippet.where.split(':') as [string, string];
        return `${doc}:${Number(fence) + Number(line) - from.headerLines}`;
      }),
  };
}
