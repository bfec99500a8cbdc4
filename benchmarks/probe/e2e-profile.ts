/**
 * Probe (not part of `npm run bench`): where each order's CPU goes on the
 * end-to-end path, by function, from CPU profiles of the two host processes
 * cut to the load window. The deployment is `e2e`'s
 * (`support/e2e-deployment.ts`) with `--cpu-prof` on both hosts; after a
 * warm-up, signed webhooks of new paid orders are POSTed to host A at a fixed
 * rate until every order's saga is done at host B's SSE client and a short
 * settle has passed. Only the samples inside that window count (a profile's
 * clock is the monotonic one `process.hrtime` reads), so start-up (module
 * compilation, migrations) and shut-down are left out.
 *
 * Prints one JSON line: `cpu_ms_per_order` of each host (/proc, the same
 * window, raw: idle work included), `events_per_order` appended in the
 * window, `sampled_ms_per_order` (the profiles'
 * non-idle samples), and the top functions by self time per order, summed
 * over both hosts (`fn file`, no line numbers so trees compare). Files stay
 * in BENCH_PROF_DIR (default: a temporary folder) for a closer look, e.g.
 * in Chrome's DevTools. It imports only what every tree since 54c14aa has,
 * so a copy runs against an older tree too (to compare trees, alternate).
 *
 * Run: `npx tsx benchmarks/probe/e2e-profile.ts` (BENCH_PG_URL,
 * BENCH_REDIS_URL; BENCH_PROF_RATE, default 50/s; BENCH_PROF_SECONDS,
 * default 15; BENCH_PROF_WARMUP_SECONDS, default 3; BENCH_PROF_TOP,
 * default 40; BENCH_PROF_INTERVAL_US, the sampling interval, default 500).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startE2eDeployment } from '../support/e2e-deployment.js';
import { openLoop } from '../support/load.js';
import { openPool } from '../support/pg-bench.js';
import { emit, nowMs, round } from '../support/stats.js';

const RATE = Number(process.env.BENCH_PROF_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_PROF_SECONDS ?? 15);
const WARMUP_SECONDS = Number(process.env.BENCH_PROF_WARMUP_SECONDS ?? 3);
const TOP = Number(process.env.BENCH_PROF_TOP ?? 40);
const INTERVAL_US = Number(process.env.BENCH_PROF_INTERVAL_US ?? 500);
/** After the last saga is done: the read models and handlers catch up. */
const SETTLE_MS = 1_000;
const DRAIN_MS = 60_000;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The monotonic clock in µs, as V8 stamps its profiles. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** utime + stime of a process, ms (/proc ticks are 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A profile's source file, relative to the tree it ran from. */
function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(src|node_modules|examples|benchmarks)\//, '$1/');
}

/** Self µs by `function file` of the samples in [fromUs, toUs]; `(idle)` apart. */
function selfTimes(profile: CpuProfile, fromUs: number, toUs: number): Map<string, number> {
  const names = new Map<number, string>();
  for (const n of profile.nodes) {
    const { functionName, url } = n.callFrame;
    names.set(n.id, `${functionName || '(anonymous)'} ${shortUrl(url)}`.trim());
  }
  const out = new Map<string, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // The time up to the next sample is this sample's.
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const name = names.get(profile.samples[i]!)!;
    out.set(name, (out.get(name) ?? 0) + span);
  }
  return out;
}

/** Run the probe. */
async function main(): Promise<void> {
  const dir = process.env.BENCH_PROF_DIR ?? mkdtempSync(join(tmpdir(), 'e2e-profile-'));
  process.env.BENCH_HOST_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=${INTERVAL_US}`;
  const deployment = await startE2eDeployment({ runIndex: 0, ratePerS: RATE });
  const { a, b, done } = deployment;
  const pids = { host_a: a.child.pid!, host_b: b.child.pid! };
  // The deployment's schema is named after its database.
  const pool = openPool({ max: 1, database: deployment.database });
  const eventCount = async (): Promise<number> =>
    Number(
      (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${deployment.database}".events`)).rows[0]!
        .n,
    );
  let window: {
    fromUs: number;
    toUs: number;
    orders: number;
    events: number;
    cpu: Record<string, number>;
  };
  try {
    const send = async (first: number, count: number) => {
      const ids: string[] = [];
      await openLoop({
        ratePerS: RATE,
        calls: count,
        call: async (i) => {
          const { id, status } = await deployment.sendOrder(first + i);
          if (status >= 200 && status < 300) ids.push(id);
        },
      });
      const start = nowMs();
      while (ids.some((id) => !done.has(id)) && nowMs() - start < DRAIN_MS) await sleep(20);
      return ids;
    };
    const warm = Math.round(RATE * WARMUP_SECONDS);
    await send(0, warm);
    await sleep(SETTLE_MS);
    const events0 = await eventCount();
    const cpu0 = { host_a: cpuMs(pids.host_a), host_b: cpuMs(pids.host_b) };
    const fromUs = monotonicUs();
    const ids = await send(warm, Math.round(RATE * SECONDS));
    await sleep(SETTLE_MS);
    const toUs = monotonicUs();
    const cpu = {
      host_a: cpuMs(pids.host_a) - cpu0.host_a,
      host_b: cpuMs(pids.host_b) - cpu0.host_b,
    };
    window = { fromUs, toUs, orders: ids.length, events: (await eventCount()) - events0, cpu };
  } finally {
    await pool.end();
    // The hosts write their profiles as they exit.
    await deployment.close();
  }
  const n = Math.max(1, window.orders);
  const total = new Map<string, number>();
  const sampled: Record<string, number> = {};
  // Main threads only: `<pid>.0.` (thread 0); the loader's worker thread is `.1.`.
  for (const [host, pid] of Object.entries(pids)) {
    for (const file of readdirSync(dir).filter((f) => f.includes(`.${pid}.0.`))) {
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      let busy = 0;
      for (const [name, us] of selfTimes(profile, window.fromUs, window.toUs)) {
        if (name.startsWith('(idle)')) continue;
        busy += us;
        total.set(name, (total.get(name) ?? 0) + us);
      }
      sampled[host] = round(busy / 1000 / n, 3);
    }
  }
  const busyUs = [...total.values()].reduce((s, x) => s + x, 0);
  const top = [...total.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, TOP)
    .map(([name, us]) => ({
      name,
      us_per_order: round(us / n, 1),
      share_pct: round((100 * us) / busyUs, 2),
    }));
  emit({
    name: 'probe.e2e_profile',
    rate_per_s: RATE,
    orders: window.orders,
    window_s: round((window.toUs - window.fromUs) / 1e6, 1),
    events_per_order: round(window.events / n, 2),
    cpu_ms_per_order: Object.fromEntries(Object.entries(window.cpu).map(([k, v]) => [k, round(v / n, 3)])),
    sampled_ms_per_order: sampled,
    profiles: dir,
    // The profiles' clock (µs), to cut them to the same window elsewhere.
    window_us: [window.fromUs, window.toUs],
    top,
  });
}

await main();
process.exit(0);
