/**
 * Probe (not part of `npm run bench`): what a benchmark's backends are doing,
 * sampled from `pg_stat_activity` every 20 ms (a benchmark's pool uses its
 * schema as `application_name`). Start it, then the benchmark; it prints, per
 * backend application, wait event and statement, how many samples found it so.
 *
 * Run: `npx tsx benchmarks/probe/wait-sampler.ts 45 bench_ours_` (seconds, application name prefix).
 */
import pg from 'pg';
import { PG_URL } from '../support/pg-bench.js';

const seconds = Number(process.argv[2] ?? 45);
const prefix = process.argv[3] ?? 'bench_ours_';
const client = new pg.Client({ connectionString: PG_URL });
await client.connect();
const counts = new Map<string, number>();
const end = Date.now() + seconds * 1000;
let samples = 0;
while (Date.now() < end) {
  const { rows } = await client.query<{ a: string; w: string; q: string }>(
    `SELECT application_name AS a, coalesce(wait_event_type, 'cpu') || ':' || coalesce(wait_event, '') AS w,
            left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS q
       FROM pg_stat_activity WHERE application_name LIKE $1 AND state = 'active'`,
    [`${prefix}%`],
  );
  samples++;
  for (const r of rows) {
    const key = `${r.a} | ${r.w} | ${r.q}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log('samples', samples);
for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 40))
  console.log(String(n).padStart(6), key);
await client.end();
