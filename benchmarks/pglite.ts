/**
 * `npm run bench -- pglite`: how long an embedded database takes to be ready
 * (PGlite open + the store's migrations), each start in a fresh process.
 * `pglite.start` seeds from the cached template (openPglite's default);
 * `pglite.start.initdb` runs initdb as a plain `new PGlite()` does. Target ≤ 1,000 ms.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { emit, median, round } from './support/stats.js';

const run = promisify(execFile);
const child = join(dirname(fileURLToPath(import.meta.url)), 'support', 'pglite-start-child.ts');
const RUNS = Number(process.env.PGLITE_START_RUNS ?? 5);

async function start(template: string): Promise<{ open_ms: number; migrate_ms: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, template]);
  return JSON.parse(stdout) as { open_ms: number; migrate_ms: number };
}

async function series(name: string, template: string): Promise<void> {
  const runs: { open_ms: number; migrate_ms: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await start(template));
  const total = runs.map((r) => r.open_ms + r.migrate_ms);
  emit({
    name,
    ms: round(median(total), 0),
    open_ms: round(median(runs.map((r) => r.open_ms)), 0),
    migrate_ms: round(median(runs.map((r) => r.migrate_ms)), 0),
    runs: RUNS,
    runs_ms: total.map((t) => round(t, 0)),
    target_ms: 1000,
  });
}

export default async function pgliteStart(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-pglite-'));
  try {
    await series('pglite.start.initdb', 'none');
    await start(dir); // writes the template, as a first start on a machine does
    await series('pglite.start', dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
