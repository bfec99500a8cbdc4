/**
 * The published types compile in a strict consumer project against the packed
 * tarball, with TypeScript 5 and 7, under `node16` (ESM and CommonJS) and
 * `bundler` resolution. Issue 12: TypeScript 7 loads no @types by default, so
 * declarations that name Node's types must reference them themselves.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOLUTIONS, writeConsumer, writeTsconfig, type Resolution } from './consumer-project.js';
import { installPackedPackage } from './packed-package.js';

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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'creatorflow-consumer-'));
  sources = writeConsumer(dir, await installPackedPackage(dir));
}, 180_000);

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
    120_000,
  );
});
