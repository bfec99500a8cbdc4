/**
 * `npm run bench -- <name> [<name>…]`: runs benchmarks/<name>.ts (its default
 * export). A benchmark is registered by its file in this folder (e.g.
 * `failover.ts` is `npm run bench -- failover`); helpers live in `support/`.
 * Without a name, runs them all. Output: JSON lines on stdout.
 * `--record` also replaces benchmarks/results/<name>.jsonl with the lines (the
 * figures of record) and redraws the charts in docs/charts/ from them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const record = process.argv.includes('--record');
const names = requested.length > 0 ? requested : available;

for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as {
    default: () => Promise<void>;
  };
  if (record) {
    process.env.BENCH_RECORD_FILE = join(here, 'results', `${name}.jsonl`);
    writeFileSync(process.env.BENCH_RECORD_FILE, '');
  }
  await mod.default();
}
if (record) {
  execFileSync(process.execPath, ['--import', 'tsx', join(here, 'charts', 'render-charts.ts')], {
    stdio: 'inherit',
  });
}
process.exit(0);
