/**
 * Probe (not part of `npm run bench`): where one `resolve-sync-conflicts` pass's
 * server time goes. It stages two windows of BENCH_PASS_REPORTS figures for
 * BENCH_PASS_ENTITIES products (as `conflicts.settle_pass`), settles the first,
 * optionally resolves the second ahead (BENCH_PASS_AHEAD=1), then settles it
 * with `pg_stat_statements` diffed around the pass (the run's schema is in the
 * statements' text) and prints the pass's statements by time.
 *
 *   PGOPTIONS="-c pg_stat_statements.track=all"  the statements inside append_batch too
 *   PROBE_PERF=/tmp/pass.perf                    `perf record -g` on the pool's backends during the pass
 *   PROBE_PROF=/tmp/pass.cpuprofile              a V8 CPU profile of this process during the pass
 *   PROBE_DUMP=/tmp/audit-records.json           the audit records written (for audit-insert.ts)
 *   PROBE_TOP=25                                 statements printed
 *
 * Run: `BENCH_PASS_AHEAD=1 npx tsx benchmarks/probe/pass-stats.ts`.
 */
import type { ChildProcess } from 'node:child_process';
import type { Session } from 'node:inspector';
import pg from 'pg';
import { createCommerce } from '../../src/commerce/create-commerce.js';
import { startCpuMeter } from '../support/cpu-meter.js';
import { openOurStore } from '../support/our-store.js';
import { settlePassReports } from '../support/settle-pass-reports.js';
import { nowMs } from '../support/stats.js';
import { PG_URL } from '../support/pg-bench.js';

const entities = Number(process.env.BENCH_PASS_ENTITIES ?? 500);
const reports = Number(process.env.BENCH_PASS_REPORTS ?? 20);
const ahead = process.env.BENCH_PASS_AHEAD === '1';
const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
type Row = {
  queryid: string;
  query: string;
  calls: number;
  total_exec_time: number;
  rows: number;
  wal_bytes: number;
  shared_blks_hit: number;
  jit_functions: number;
  jit_t: number;
};
async function snap(schema: string): Promise<Map<string, Row>> {
  const { rows } = await admin.query<Row>(
    `select queryid::text, query, calls::float8 as calls, total_exec_time, rows::float8 as rows, wal_bytes::float8 as wal_bytes,
            shared_blks_hit::float8 as shared_blks_hit, jit_functions::float8 as jit_functions,
            (jit_generation_time+jit_inlining_time+jit_optimization_time+jit_emission_time) as jit_t
       from pg_stat_statements where query like $1`,
    [`%${schema}%`],
  );
  return new Map(rows.map((r) => [r.queryid, r]));
}
const bench = await openOurStore(16);
const commerce = createCommerce({ store: bench.store, conflicts: { tickMs: 3_600_000 } });
await commerce.start();
const conflicts = commerce.conflicts!;
// Two windows per product in the past (200 ms between figures): the first gives it a stock level.
const stage = settlePassReports(bench.store, conflicts, entities, reports);
const t0 = Date.now() - 120_000;
await stage(t0);
await conflicts.settleDue();
await stage(t0 + 60_000);
if (ahead) await conflicts.prepareClosing(t0 + 66_000 - 1);
await new Promise((r) => setTimeout(r, 1500));
const before = await snap(bench.schema);
const meter = await startCpuMeter(bench.schema);
let perfProc: ChildProcess | undefined;
if (process.env.PROBE_PERF) {
  const { rows } = await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where application_name = $1',
    [bench.schema],
  );
  const { spawn } = await import('node:child_process');
  perfProc = spawn(
    'perf',
    ['record', '-F', '1999', '-g', '-o', process.env.PROBE_PERF, '-p', rows.map((r) => r.pid).join(',')],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 300));
}
const started = nowMs();
let profiler: Session | undefined;
if (process.env.PROBE_PROF) {
  const inspector = await import('node:inspector');
  const session = new inspector.Session();
  session.connect();
  await new Promise((r) => session.post('Profiler.enable', () => session.post('Profiler.start', r)));
  profiler = session;
}
const result = await conflicts.settleDue();
const wall = nowMs() - started;
if (profiler) {
  const session = profiler;
  const prof = await new Promise((r) => session.post('Profiler.stop', (_e, p) => r(p.profile)));
  (await import('node:fs')).writeFileSync(process.env.PROBE_PROF!, JSON.stringify(prof));
}
const cpuPass = await meter.stop(entities);
if (perfProc) {
  const perf = perfProc;
  perf.kill('SIGINT');
  await new Promise((r) => perf.on('exit', r));
}
await new Promise((r) => setTimeout(r, 1500));
const cpuAfter = await meter.stop(entities);
const after = await snap(bench.schema);
console.log(JSON.stringify({ result, wall, cpuPass, cpuPassPlus1500ms: cpuAfter }));
const diffs: (Row & { d: number })[] = [];
for (const [id, a] of after) {
  const b = before.get(id);
  const d = {
    ...a,
    calls: a.calls - (b?.calls ?? 0),
    total_exec_time: a.total_exec_time - (b?.total_exec_time ?? 0),
    rows: a.rows - (b?.rows ?? 0),
    wal_bytes: a.wal_bytes - (b?.wal_bytes ?? 0),
    shared_blks_hit: a.shared_blks_hit - (b?.shared_blks_hit ?? 0),
    jit_functions: a.jit_functions - (b?.jit_functions ?? 0),
    jit_t: a.jit_t - (b?.jit_t ?? 0),
    d: 0,
  };
  if (d.calls > 0) diffs.push(d);
}
diffs.sort((x, y) => y.total_exec_time - x.total_exec_time);
let total = 0;
for (const d of diffs) total += d.total_exec_time;
console.log('total exec ms', total.toFixed(1));
for (const d of diffs.slice(0, Number(process.env.PROBE_TOP ?? 25)))
  console.log(
    `${d.total_exec_time.toFixed(1).padStart(8)}ms calls=${String(d.calls).padStart(5)} rows=${String(d.rows).padStart(6)} wal=${(d.wal_bytes / 1024).toFixed(0)}kB hit=${d.shared_blks_hit} jit=${d.jit_functions}/${d.jit_t.toFixed(1)}ms | ${d.query.replace(/\s+/g, ' ').replaceAll(bench.schema, 'S').slice(0, 230)}`,
  );
if (process.env.PROBE_DUMP) {
  const { rows } = await admin.query<{ r: string }>(
    `select record::text as r from ${bench.schema}.conflict_audit`,
  );
  (await import('node:fs')).writeFileSync(
    process.env.PROBE_DUMP,
    JSON.stringify(rows.map((x) => JSON.stringify(JSON.parse(x.r)))),
  );
}
await commerce.stop();
await bench.dispose();
await admin.end();
