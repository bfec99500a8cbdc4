/**
 * The TypeScript blocks of README.md and docs/*.md, made compilable: each
 * becomes a module importing the package from source, with the library's names
 * it uses but does not import added as imports (docs continue one another, so
 * a later block uses what an earlier one imported). Blocks fenced
 * ```` ```ts no-check ```` are fragments on purpose and are skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How a block is run (test/package/consumer-types.test.ts runs every block
 * against the packed tarball). Declared by an HTML comment on the line before
 * the fence:
 * - none: the block is complete and runs as printed;
 * - `<!-- doc-run setup="pglite engine" then="await engine.close()" -->`: the
 *   setups (files of test/docs/setups, in order) provide the host objects the
 *   block names but does not make (snippet-context.d.ts), and `then` — code
 *   appended to the block's module, so it sees the block's names — closes what
 *   the block leaves open (a server a reader keeps running);
 * - `<!-- compile-only: reason -->`: compiled, never run (rare, with a reason).
 */
export type SnippetRun =
  | { readonly kind: 'run'; readonly setups: readonly string[]; readonly then: string }
  | { readonly kind: 'compile-only'; readonly reason: string };

/** One ```ts block of a document. */
export interface DocSnippet {
  /** e.g. `docs/processing.md:42` (the line of the opening fence). */
  readonly where: string;
  readonly code: string;
  /** How it runs; a block with no comment before it runs as printed. */
  readonly run: SnippetRun;
}

const RUN_AS_PRINTED: SnippetRun = { kind: 'run', setups: [], then: '' };

/** The run declared by the comment `line` (the one before a fence), if it is one. */
export function parseRunComment(line: string): SnippetRun | undefined {
  const compileOnly = /^<!--\s*compile-only:\s*(.*?)\s*-->$/.exec(line.trim());
  if (compileOnly) {
    if (!compileOnly[1]) throw new Error(`compile-only needs a reason: ${line}`);
    return { kind: 'compile-only', reason: compileOnly[1] };
  }
  const run = /^<!--\s*doc-run\b(.*?)-->$/.exec(line.trim());
  if (!run) return undefined;
  const attributes = new Map<string, string>();
  for (const m of run[1]!.matchAll(/(\w+)="([^"]*)"/g)) attributes.set(m[1]!, m[2]!);
  const unknown = [...attributes.keys()].filter((k) => k !== 'setup' && k !== 'then');
  if (unknown.length > 0 || attributes.size === 0)
    throw new Error(`doc-run takes setup="…" and then="…": ${line}`);
  const setups = (attributes.get('setup') ?? '').split(/\s+/).filter(Boolean);
  return { kind: 'run', setups, then: attributes.get('then') ?? '' };
}

/** The info string that keeps a block out of the check. */
export const NO_CHECK = 'no-check';

/** The documents whose blocks are checked, relative to the repository root. */
export function documents(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** The ```ts blocks of `markdown`; with `includeNoCheck` the marked fragments too. */
export function extractSnippets(file: string, markdown: string, includeNoCheck = false): DocSnippet[] {
  const snippets: DocSnippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(?:\s+(.*))?$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    const skip = (open[2] ?? '').split(/\s+/).includes(NO_CHECK);
    const where = `${file}:${start + 1}`;
    let run = RUN_AS_PRINTED;
    try {
      run = parseRunComment(lines[start - 1] ?? '') ?? RUN_AS_PRINTED;
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    if (!skip || includeNoCheck) snippets.push({ where, code: body.join('\n'), run });
  }
  return snippets;
}

const IDENTIFIER = /[A-Za-z_$][\w$]*/g;
const DECLARED = /\b(?:const|let|var|function|class|type|interface|enum)\s+([A-Za-z_$][\w$]*)/g;
const DESTRUCTURED = /\b(?:const|let|var)\s*[{[]([^=]*?)[}\]]\s*=/g;
const IMPORTED = /^import\s+(?:type\s+)?([\s\S]*?)\s+from\s+['"][^'"]+['"];?/gm;

/** Names a block declares or imports itself (so no import is added for them). */
function ownNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(DECLARED)) names.add(m[1]!);
  for (const m of code.matchAll(DESTRUCTURED)) {
    for (const part of m[1]!.split(',')) {
      const local = part.split(':').pop()!.trim().split(/\s/)[0];
      if (local) names.add(local);
    }
  }
  for (const m of code.matchAll(IMPORTED)) {
    for (const part of m[1]!.replace(/[{}*]/g, ' ').split(/[,\s]+/))
      if (part && part !== 'type' && part !== 'as') names.add(part);
  }
  return names;
}

/**
 * The module compiled for `snippet`: an import of every name of `exports`
 * (the root entry's exports) it uses without importing or declaring it, then
 * the block as written, then its run's `then` code (`export {}` keeps it a module).
 */
export function snippetModule(
  snippet: DocSnippet,
  exports: ReadonlySet<string>,
): { text: string; headerLines: number } {
  const code = snippet.code;
  const own = ownNames(code);
  const withoutComments = code.replace(/\/\/.*$/gm, '').replace(/'[^'\n]*'|`[^`]*`|"[^"\n]*"/g, '""');
  const used = new Set(withoutComments.match(IDENTIFIER) ?? []);
  const missing = [...used].filter((n) => exports.has(n) && !own.has(n)).sort();
  const header = missing.length ? `import { ${missing.join(', ')} } from '@creatorflow/sync';\n` : '';
  // The run's closing code is compiled too (it must fit the block), after the block.
  const then = snippet.run.kind === 'run' && snippet.run.then ? `${snippet.run.then}\n` : '';
  return { text: `${header}${code}\n${then}export {};\n`, headerLines: header ? 1 : 0 };
}

/** The README's quickstart: the first ```ts block after its "## Usage" heading. */
export function readmeUsage(root: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Usage')));
  if (!match) throw new Error('README.md: no ```ts block under ## Usage');
  return match[1]!;
}

/** Every checked block of the repository's documents. */
export function repositorySnippets(root: string): DocSnippet[] {
  return documents(root).flatMap((file) => extractSnippets(file, readFileSync(join(root, file), 'utf8')));
}
