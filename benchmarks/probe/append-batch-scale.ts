/**
 * Probe (not part of `npm run bench`): `append_batch`'s server time per
 * request against the size of one flush, split by part (does a flush of 1000
 * requests cost more per request than one of 10, and in which statement?).
 *
 * Each round is one `appendMany` of n requests on fresh, distinct streams
 * (1–3 events each), with or without idempotency keys, through the store (so
 * one `append_batch` call per round). The statements inside the function are
 * read from `pg_stat_statements` (deltas, never a reset: the server is
 * shared), which sees them only with `pg_stat_statements.track = all` on the
 * store's connections — run it with PGOPTIONS:
 *
 *   PGOPTIONS='-c pg_stat_statements.track=all' \
 *   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/batchfn_bench \
 *   npx tsx benchmarks/probe/append-batch-scale.ts
 *
 * "body" is the function's own time: its total less the statements it ran
 * (the decision loop, the JSON parse, the simple expressions). PROBE_NS
 * (sizes), PROBE_REPS (rounds per size and keying, 3), PROBE_BYTES (payload, 100).
 * The database needs `CREATE EXTENSION pg_stat_statements`.
 */
import pg from 'pg';
import { openOurStore } from '../support/our-store.js';
import { PG_URL } from '../support/pg-bench.js';

const NS = (process.env.PROBE_NS ?? '10,50,100,250,500,1000').split(',').map(Number);
const REPS = Number(process.env.PROBE_REPS ?? 3);
const payload = { note: 'x'.repeat(Number(process.env.PROBE_BYTES ?? 100)), n: 1 };

const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
const bench = await openOurStore(1, { maxBatch: Math.max(...NS) });
const track = await bench.pool.query<{ t: string }>(
  "SELECT current_setting('pg_stat_statements.track') AS t",
);
if (track.rows[0]!.t !== 'all') throw new Error("run with PGOPTIONS='-c pg_stat_statements.track=all'");
if (process.env.PROBE_TIMED) await instrument();

/**
 * PROBE_TIMED=1: replace the schema's append_batch by a copy that adds, per
 * call, the time from the statement's start to its body (the DECLARE
 * defaults: the events' JSON parsed) and the decision loop's time to session
 * settings, read back on the pool's one connection.
 */
async function instrument(): Promise<void> {
  const { rows } = await bench.pool.query<{ def: string }>(
    `SELECT pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.proname = 'append_batch' AND p.pronargs = 17`,
    [bench.schema],
  );
  const add = (name: string, since: string) =>
    `PERFORM set_config('probe.${name}', (coalesce(nullif(current_setting('probe.${name}', true), ''), '0')::float8 + extract(epoch FROM clock_timestamp() - ${since}) * 1e6)::text, false);`;
  let def = rows[0]!.def;
  const loop = def.indexOf('FOR i IN 1..n LOOP');
  const endLoop = def.indexOf('END LOOP;\n', loop);
  if (loop < 0 || endLoop < 0) throw new Error('append_batch has no decision loop to time');
  def =
    def.slice(0, loop) +
    'v_t0 := clock_timestamp();\n  ' +
    def.slice(loop, endLoop) +
    `END LOOP;\n  ${add('loop_us', 'v_t0')}\n` +
    def.slice(endLoop + 'END LOOP;\n'.length);
  def = def
    .replace('v_meta jsonb := e_meta::jsonb;', 'v_meta jsonb := e_meta::jsonb;\n  v_t0 timestamptz;')
    .replace(/\nBEGIN\n/, `\nBEGIN\n  ${add('prologue_us', 'statement_timestamp()')}\n`);
  await bench.pool.query(def);
}

async function timed(): Promise<{ prologue: number; loop: number }> {
  const { rows } = await bench.pool.query<{ p: string | null; l: string | null }>(
    "SELECT current_setting('probe.prologue_us', true) AS p, current_setting('probe.loop_us', true) AS l",
  );
  return { prologue: Number(rows[0]!.p || 0), loop: Number(rows[0]!.l || 0) };
}

/** A statement's text, short: its first words after the schema is cut out. */
function label(query: string): string {
  return query
    .replaceAll(`"${bench.schema}".`, '')
    .replaceAll(`${bench.schema}.`, '')
    .replace(/\s+/g, ' ')
    .replace(/^(WITH \w+ AS \()/, '')
    .slice(0, 48);
}

type Snapshot = Map<string, { label: string; ms: number; calls: number; top: boolean }>;

async function snapshot(): Promise<Snapshot> {
  const { rows } = await admin.query<{ id: string; top: boolean; query: string; ms: number; calls: string }>(
    `SELECT queryid::text || toplevel::text AS id, toplevel AS top, query, total_exec_time AS ms, calls
       FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND query LIKE '%' || $1 || '%'`,
    [bench.schema],
  );
  return new Map(
    rows.map((r) => [r.id, { label: label(r.query), ms: r.ms, calls: Number(r.calls), top: r.top }]),
  );
}

let round = 0;
for (const keyed of [false, true]) {
  for (const n of NS) {
    const before = await snapshot();
    const timed0 = process.env.PROBE_TIMED ? await timed() : undefined;
    let calls = 0;
    for (let rep = 0; rep < REPS; rep++) {
      round++;
      const reqs = Array.from({ length: n }, (_, i) => ({
        streamId: `s-${round}-${i}`,
        events: Array.from({ length: 1 + (i % 3) }, (_, j) => ({ type: `t${j}`, data: payload })),
        options: keyed ? { idempotencyKey: `k-${round}-${i}` } : {},
      }));
      const res = await bench.store.appendMany(reqs);
      if (res.some((r) => r.status !== 'fulfilled')) throw new Error('a request failed');
    }
    const after = await snapshot();
    const timed1 = timed0 ? await timed() : undefined;
    const parts: Record<string, number> = {};
    let top = 0;
    let nested = 0;
    for (const [id, a] of after) {
      const b = before.get(id) ?? { ms: 0, calls: 0 };
      const ms = a.ms - b.ms;
      if (a.top) {
        if (!a.label.includes('append_batch')) continue;
        top += ms;
        calls += a.calls - b.calls;
      } else {
        nested += ms;
        if (ms > 0) parts[a.label] = (parts[a.label] ?? 0) + ms;
      }
    }
    const perReq = (ms: number) => Math.round((ms * 1000) / (n * REPS));
    const top5 = Object.entries(parts)
      .sort((x, y) => y[1] - x[1])
      .slice(0, Number(process.env.PROBE_PARTS ?? 6))
      .map(([k, ms]) => `${perReq(ms)}µs ${k}`);
    console.log(
      JSON.stringify({
        keyed,
        n,
        calls,
        us_per_req: perReq(top),
        body_us_per_req: perReq(top - nested),
        statements_us_per_req: perReq(nested),
        ...(timed0 && timed1
          ? {
              prologue_us_per_req: Math.round((timed1.prologue - timed0.prologue) / (n * REPS)),
              loop_us_per_req: Math.round((timed1.loop - timed0.loop) / (n * REPS)),
            }
          : {}),
        parts: top5,
      }),
    );
  }
}
await bench.dispose();
await admin.end();
