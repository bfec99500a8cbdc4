/**
 * The published types compile in a strict consumer project against the packed
 * tarball, with TypeScript 5 and 7, under `node16` (ESM and CommonJS) and
 * `bundler` resolution. Issue 12: TypeScript 7 loads no @types by default, so
 * declarations that name Node's types must reference them themselves. The
 * docs' examples (README.md and docs/*.md) compile there too, against the
 * tarball's declarations: what a user copies works with what npm installs.
 * And the README's quickstart runs on the tarball's code and exits at once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_OPTIONS, writeConsumerDocs, type ConsumerDocs } from './consumer-docs.js';
import { RESOLUTIONS, writeConsumer, writeTsconfig, type Resolution } from './consumer-project.js';
import { readmeUsage } from '../docs/extract-snippets.js';
import { runProgram } from '../support/child-process.js';
import { installPackedPackage, REPO_ROOT } from './packed-package.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * `isolate`: TypeScript 7 loads no ambient @types, so each subpath gets its own
 * program — one entry's Node reference must not cover for another's.
 * TypeScript 5 loads every @types package anyway; one program per resolution.
 */
const COMPILERS = [
  { name: 'TypeScript 5', pkg: 'typescript', major: 5, isolate: false },
  { name: 'TypeScript 7', pkg: 'typescript7', major: 7, isolate: true },
] as const;

function tscPath(pkg: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: { tsc: string } };
  return join(dirname(manifestPath), manifest.bin.tsc);
}

let dir = '';
let sources: Record<Resolution, string[]>;
let docs: ConsumerDocs;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'creatorflow-consumer-'));
  const manifest = await installPackedPackage(dir);
  sources = writeConsumer(dir, manifest);
  docs = writeConsumerDocs(dir, manifest.name);
}, 600_000); // build + pack: minutes on a loaded machine

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(COMPILERS)('$name', ({ pkg, major, isolate }) => {
  const tsc = tscPath(pkg);

  it('is the major version the matrix names', async () => {
    const { stdout } = await run(process.execPath, [tsc, '--version']);
    expect(stdout).toMatch(new RegExp(`Version ${major}\\.`));
  });

  it.each(Object.keys(RESOLUTIONS) as Resolution[])(
    'compiles every public subpath under %s resolution, strict',
    async (resolution) => {
      const programs = isolate ? sources[resolution].map((file) => [file]) : [sources[resolution]];
      const failures: string[] = [];
      for (const files of programs) {
        const label = `${pkg}.${resolution}.${files.length === 1 ? files[0]!.replace(/\W/g, '_') : 'all'}`;
        const config = writeTsconfig(dir, label, resolution, files);
        try {
          await run(process.execPath, [tsc, '-p', config], { cwd: dir });
        } catch (error) {
          const { stdout = '' } = error as { stdout?: string };
          failures.push(`${files.join(', ')}:\n${stdout}`);
        }
      }
      expect(failures.join('\n')).toBe('');
      expect(programs.flat().length).toBeGreaterThanOrEqual(5);
    },
    600_000, // a loaded machine (load 30 on 2 cores) runs these programs many times slower
  );

  it.each(Object.keys(RESOLUTIONS) as Resolution[])(
    "compiles the docs' examples against the tarball under %s resolution, strict",
    async (resolution) => {
      expect(docs.files.length).toBeGreaterThan(15);
      const config = writeTsconfig(dir, `${pkg}.${resolution}.docs`, resolution, docs.files, DOC_OPTIONS);
      const output = await run(process.execPath, [tsc, '-p', config], { cwd: dir }).then(
        () => '',
        (error: { stdout?: string }) => docs.where(error.stdout ?? String(error)),
      );
      expect(output).toBe('');
    },
    600_000, // a loaded machine (load 30 on 2 cores) runs these programs many times slower
  );
});

describe('the README quickstart on the tarball', () => {
  it('runs as printed and exits at once after closing', { timeout: 120_000 }, async () => {
    // In the consumer: '@creatorflow/sync' resolves to the installed tarball's dist, not src.
    const script = join(dir, 'readme-usage.mts');
    writeFileSync(script, `${readmeUsage(REPO_ROOT)}\nconsole.log('done ' + Date.now());\n`);
    const child = runProgram(script, {});
    const done = await child.line(/^done (\d+)$/, 90_000);
    const code = await child.exited;
    expect(code, child.stderr()).toBe(0);
    // A timer or poll left pending keeps the process alive (PGlite's until db.close()).
    expect(Date.now() - Number(done[1])).toBeLessThan(5000);
    expect(child.lines()).toContain('1 [ 1 ]');
  });
});
