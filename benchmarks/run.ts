/**
 * `npm run bench -- <name> [<name>…]`: runs benchmarks/<name>.ts (its default
 * export). A benchmark is registered by its file in this folder (e.g.
 * `failover.ts` is `npm run bench -- failover`); helpers live in `support/`.
 * Without a name, runs them all. Output: JSON lines on stdout.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = requested.length > 0 ? requested : available;

for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as {
    default: () => Promise<void>;
  };
  await mod.default();
}
process.exit(0);
