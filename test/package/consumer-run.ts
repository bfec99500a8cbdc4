/**
 * The documentation's examples run in the consumer project, on the packed
 * tarball's code: every ```ts block of README.md and docs/*.md not marked
 * `compile-only` becomes a Node program — its declared setups
 * (test/docs/setups, see `SnippetRun`) put the host objects it names on
 * `globalThis`, then the block runs as a module importing the package by name,
 * then its `then` code, then the setups close. A program passes when it exits
 * with 0 on its own, at once after its last line (issue 12: PGlite's timer
 * kept a process up ~10 s after `store.close()`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { repositorySnippets, snippetModule, type DocSnippet } from '../docs/extract-snippets.js';
import { REPO_ROOT } from './packed-package.js';

/** Where the setups live in the repository. */
export const SETUPS_DIR = join(REPO_ROOT, 'test/docs/setups');

/** The line a program prints after its work and its setups' closing: what "at once" is measured from. */
const DONE = /^doc-run done (\d+)$/;

/** One example made a program. */
export interface DocProgram {
  readonly snippet: DocSnippet;
  /** The entry module, absolute. */
  readonly entry: string;
  /** Its working directory (its own: an example may write files). */
  readonly cwd: string;
}

/** The examples as programs, and those marked compile-only. */
export interface DocPrograms {
  readonly programs: DocProgram[];
  readonly compileOnly: DocSnippet[];
}

/** What one run did. */
export interface DocRunResult {
  readonly code: number | null;
  readonly timedOut: boolean;
  /** From the DONE line to the process's exit, ms; null when it never printed it. */
  readonly exitAfterDoneMs: number | null;
  readonly output: string;
}

function transpile(source: string): string {
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
}

/** Writes the setups and one program per runnable example under `<dir>/docs-run`. */
export function writeDocPrograms(dir: string, exports: ReadonlySet<string>): DocPrograms {
  const root = join(dir, 'docs-run');
  mkdirSync(join(root, 'setups'), { recursive: true });
  for (const file of readdirSync(SETUPS_DIR).filter((f) => f.endsWith('.ts'))) {
    const js = transpile(readFileSync(join(SETUPS_DIR, file), 'utf8'));
    writeFileSync(join(root, 'setups', file.replace(/\.ts$/, '.js')), js);
  }
  const programs: DocProgram[] = [];
  const compileOnly: DocSnippet[] = [];
  repositorySnippets(REPO_ROOT).forEach((snippet, i) => {
    if (snippet.run.kind === 'compile-only') return void compileOnly.push(snippet);
    writeFileSync(join(root, `snippet-${i}.js`), transpile(snippetModule(snippet, exports).text));
    // The host's own values (setups/host) under every example; the declared setups after them.
    const setups = ['host', ...snippet.run.setups];
    const entry = join(root, `run-${i}.js`);
    writeFileSync(
      entry,
      [
        `// ${snippet.where}`,
        'const opened = [];',
        `for (const name of ${JSON.stringify(setups)}) {`,
        '  const { default: setup } = await import(`./setups/${name}.js`);',
        '  const { globals, close } = await setup(globalThis);',
        '  Object.assign(globalThis, globals);',
        '  opened.push(close);',
        '}',
        `await import('./snippet-${i}.js');`,
        'for (const close of opened.reverse()) await close?.();',
        "console.log('doc-run done ' + Date.now());",
        '',
      ].join('\n'),
    );
    const cwd = join(root, `cwd-${i}`);
    mkdirSync(cwd, { recursive: true });
    programs.push({ snippet, entry, cwd });
  });
  return { programs, compileOnly };
}

/** Runs one program with `node` (its own process group); kills it after `timeoutMs`. */
export function runDocProgram(
  program: DocProgram,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<DocRunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [program.entry], {
      cwd: program.cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let doneAt: number | null = null;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const done = output.split('\n').find((line) => DONE.test(line));
      if (done && doneAt === null) doneAt = Date.now();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, exitAfterDoneMs: doneAt === null ? null : Date.now() - doneAt, output });
    });
  });
}

/** Runs `programs` `concurrency` at a time; results in the programs' order. */
export async function runDocPrograms(
  programs: readonly DocProgram[],
  env: Record<string, string>,
  options: { concurrency: number; timeoutMs: number },
): Promise<DocRunResult[]> {
  const results: DocRunResult[] = new Array<DocRunResult>(programs.length);
  let next = 0;
  const lane = async () => {
    while (next < programs.length) {
      const i = next++;
      results[i] = await runDocProgram(programs[i]!, env, options.timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return results;
}
