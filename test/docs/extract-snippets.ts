/**
 * The TypeScript blocks of README.md and docs/*.md, made compilable: each
 * becomes a module importing the package from source, with the library's names
 * it uses but does not import added as imports (docs continue one another, so
 * a later block uses what an earlier one imported). Blocks fenced
 * ```` ```ts no-check ```` are fragments on purpose and are skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One ```ts block of a document. */
export interface DocSnippet {
  /** e.g. `docs/processing.md:42` (the line of the opening fence). */
  readonly where: string;
  readonly code: string;
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
    if (!skip || includeNoCheck) snippets.push({ where: `${file}:${start + 1}`, code: body.join('\n') });
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
 * the block as written (`export {}` keeps it a module).
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
  return { text: `${header}${code}\nexport {};\n`, headerLines: header ? 1 : 0 };
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
