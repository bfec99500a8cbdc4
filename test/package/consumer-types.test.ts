/**
 * The published types compile in a strict consumer project against the packed
 * tarball, with TypeScript 5 and 7, under `node16` (ESM and CommonJS) and
 * `bundler` resolution. Issue 12: TypeScript 7 loads no @types by default, so
 * declarations that name Node's types must reference them themselves. The
 * docs' examples (README.md and docs/*.md) compile there too, against the
 * tarball's declarations: what a user copies works with what npm installs.
 * And the README's quickstart runs on the tarball's code and exits at once,
 * and so does every other example not marked compile-only (consumer-run.ts):
 * each a program of its own, with the setups its doc declares.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_OPTIONS, writeConsumerDocs, type ConsumerDocs } from './consumer-docs.js';
import { runDocPrograms, writeDocPrograms, type DocProgram, type DocPrograms } from './consumer-run.js';
import { RESOLUTIONS, writeConsumer, writeTsconfig, type Resolution } from './consumer-project.js';
import { readmeUsage } from '../docs/extract-snippets.js';
import { runProgram } from '../support/child-process.js';
import { postgresUrl, redisUrl } from '../support/databases.js';
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

describe("the docs' examples on the tarball", () => {
  let programs: DocPrograms;
  let admin: pg.Client | undefined;
  const database = `docs_run_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    programs = writeDocPrograms(dir, docs.exports);
    const url = postgresUrl();
    if (url === null) return;
    // A database of this run's own: the docs name their schemas ('creatorflow', 'app').
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it(
    'each runs as a program, exits 0 on its own and at once after its work',
    { timeout: 1_800_000 }, // ~55 programs; minutes on a loaded machine (PGlite starts in each)
    async () => {
      const pgUrl = postgresUrl();
      const redis = redisUrl();
      // Without the servers (and without REQUIRE_SERVICES) their examples are skipped, and named.
      const needs = (p: DocProgram) => ({
        postgres: p.snippet.run.kind === 'run' && p.snippet.run.setups.includes('postgres'),
        redis:
          (p.snippet.run.kind === 'run' && p.snippet.run.setups.includes('redis')) ||
          /new Redis\(/.test(p.snippet.code),
      });
      const runnable = programs.programs.filter((p) => {
        const n = needs(p);
        return !(n.postgres && pgUrl === null) && !(n.redis && redis === null);
      });
      const env: Record<string, string> = { PORT: '0' };
      if (pgUrl) env['DOCS_DATABASE_URL'] = Object.assign(new URL(pgUrl), { pathname: `/${database}` }).href;
      if (redis) env['REDIS_URL'] = redis;
      const concurrency = Math.max(2, Math.min(4, availableParallelism()));
      const started = Date.now();
      const results = await runDocPrograms(runnable, env, { concurrency, timeoutMs: 120_000 });
      const failures = results.flatMap((r, i) => {
        const where = runnable[i]!.snippet.where;
        const tail = r.output.split('\n').slice(-25).join('\n');
        if (r.timedOut) return [`${where}: still running after 120 s (killed)\n${tail}`];
        if (r.code !== 0) return [`${where}: exited with ${r.code}\n${tail}`];
        if (r.exitAfterDoneMs === null) return [`${where}: exited 0 without finishing\n${tail}`];
        // Something left pending (a timer, a socket, PGlite's until db.close()) keeps a process up.
        if (r.exitAfterDoneMs > 5000) return [`${where}: exited ${r.exitAfterDoneMs} ms after its work`];
        return [];
      });
      const skipped = programs.programs.filter((p) => !runnable.includes(p)).map((p) => p.snippet.where);
      console.info(
        `docs examples: ${runnable.length} ran, ${programs.compileOnly.length} compile-only ` +
          `(${programs.compileOnly.map((s) => `${s.where}: ${s.run.kind === 'compile-only' ? s.run.reason : ''}`).join('; ')})` +
          (skipped.length
            ? `, ${skipped.length} skipped without their servers (${skipped.join(', ')})`
            : '') +
          `, in ${Math.round((Date.now() - started) / 1000)} s at concurrency ${concurrency}`,
      );
      expect(failures.join('\n\n')).toBe('');
      if (process.env.REQUIRE_SERVICES === '1') expect(skipped).toEqual([]);
      expect(programs.programs.length).toBeGreaterThanOrEqual(45);
      // compile-only stays the exception, each with its reason.
      expect(programs.compileOnly.length).toBeLessThanOrEqual(4);
    },
  );
});
