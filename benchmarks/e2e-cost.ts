/**
 * `npm run bench -- e2e-cost`: the work one order costs on the end-to-end
 * path, in units that do not depend on load or on what else the machine
 * runs (latency does both): database transactions and CPU milliseconds per
 * order, per process.
 *
 * `e2e.cost_per_order`: the deployment of `e2e` (`support/e2e-deployment.ts`:
 * two Express hosts on a database of their own, Redis, the simulator in this
 * process). After a warm-up, the idle cost is measured (both hosts running,
 * no traffic: their polls, heartbeats and leases); then signed webhooks of
 * new paid orders are POSTed to host A at a low fixed rate, until every
 * accepted order's fulfillment saga is done (its `commerce_orders` row
 * reaches `shipped` or `cancelled` at host B's SSE client) and the
 * database's transaction rate is back near idle (the inventory handler and
 * the read models have caught up: `settled`). Per order:
 * `xacts_per_order` (`pg_stat_database` commits + rollbacks of the
 * database) and `cpu_ms_per_order` of host A, host B, the PostgreSQL
 * backends serving the database, and this process (sender, mock TikTok
 * API, providers, SSE client); each net of the idle rate over the same
 * time, with the raw figure beside it (`_raw`). `rows_written_per_order`
 * (`pg_stat_database` tup_inserted + tup_updated + tup_deleted: events,
 * streams, staged contenders, audit rows, read-model rows, checkpoints), net
 * and raw likewise. The idle rates are reported per second
 * (`idle_xacts_per_s`, `idle_rows_per_s`, `idle_cpu_ms_per_s`).
 * `sagas_claimed_again` counts the run's sagas (warm-up included) claimed
 * more than once, `saga_max_lease_token` the highest token: a live host
 * that fenced its own sagas under load shows there (`support/saga-claims.ts`).
 *
 * Environment: BENCH_PG_URL, BENCH_REDIS_URL, BENCH_COST_RATE (webhooks/s,
 * default 50), BENCH_COST_SECONDS (default 15), BENCH_COST_WARMUP_SECONDS
 * (orders sent first and not counted, default 3), BENCH_COST_IDLE_SECONDS
 * (default 5). Of each process's CPU, the part in the kernel
 * (`kernel_ms_per_order`, /proc/<pid>/stat's stime: system calls, mostly
 * socket writes and reads) and its write system calls
 * (`write_syscalls_per_order`, /proc/<pid>/io's syscw: one per flush of a
 * socket, whatever its size), net and raw. BENCH_HOST_NODE_ARGS adds Node.js flags to both hosts (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`, to see where the time goes, or
 * `--import $PWD/benchmarks/support/count-queries.mjs` to count each host's
 * statements).
 *
 * BENCH_COST_STATEMENTS=1 also counts the statements the hosts send
 * (`support/statement-meter.ts`, the same preload): per order, net of idle,
 * `statements_per_order` and `round_trips_per_order` with their breakdown by
 * kind (`append`, `log_read`, `checkpoint`, `lease`, `transaction`, …) and
 * the ten costliest statements, and the same without the idle subtraction
 * (`_raw`). BENCH_COST_STATEMENTS_FILE=path also writes every statement
 * text with its count per order during the load (raw), costliest first.
 */
import { costBetween, startCostMeter, type CostDelta } from './support/cost-meter.js';
import { startE2eDeployment } from './support/e2e-deployment.js';
import { openLoop } from './support/load.js';
import { sagasClaimedAgain } from './support/saga-claims.js';
import { emit, nowMs, round } from './support/stats.js';
import {
  sampleStatements,
  statementCounting,
  statementsBetween,
  statementsPerOrder,
  writeStatementList,
  type StatementSample,
} from './support/statement-meter.js';

const RATE = Number(process.env.BENCH_COST_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_COST_SECONDS ?? 15);
const IDLE_SECONDS = Number(process.env.BENCH_COST_IDLE_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_COST_WARMUP_SECONDS ?? 3);
/** Transactions/s below which the warm-up's after-effects count as over (idle is about 45/s). */
const QUIET_PER_S = 80;
const COUNT_STATEMENTS = process.env.BENCH_COST_STATEMENTS === '1';
/** Longest wait for the last saga after the last send. */
const DRAIN_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `x / n` of each process (of `field`, default CPU ms), rounded; net of `idle` when given. */
function per(
  delta: CostDelta,
  n: number,
  idle?: CostDelta,
  field: 'cpuMs' | 'sysMs' | 'writes' = 'cpuMs',
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, x] of Object.entries(delta[field])) {
    const idleX = idle ? (idle[field][name]! / idle.seconds) * delta.seconds : 0;
    out[name] = round((x - idleX) / n, 3);
  }
  return out;
}

/** Run the benchmark (default export, see benchmarks/run.ts). */
export default async function e2eCost(): Promise<void> {
  const counting = COUNT_STATEMENTS ? statementCounting() : undefined;
  if (counting) {
    process.env.COUNT_QUERIES_DIR = counting.dir;
    process.env.BENCH_HOST_NODE_ARGS = `${process.env.BENCH_HOST_NODE_ARGS ?? ''} ${counting.nodeArgs}`;
  }
  const deployment = await startE2eDeployment({ runIndex: 0, ratePerS: RATE });
  try {
    const { a, b, done } = deployment;
    const meter = await startCostMeter({
      database: deployment.database,
      processes: { host_a: a.child.pid!, host_b: b.child.pid!, bench: process.pid },
    });
    const hostPids = { host_a: a.child.pid!, host_b: b.child.pid! };
    const statements = async (): Promise<StatementSample | undefined> =>
      counting ? sampleStatements(counting.dir, hostPids) : undefined;
    /** POST `count` orders from index `first` on at RATE; the accepted orders' ids. */
    const sendOrders = async (first: number, count: number) => {
      const ids: string[] = [];
      await openLoop({
        ratePerS: RATE,
        calls: count,
        call: async (i) => {
          const { id, status } = await deployment.sendOrder(first + i);
          if (status >= 200 && status < 300) ids.push(id);
        },
      });
      return { ids, calls: count, accepted: ids.length };
    };
    /** Wait until every order's saga is done (at host B's client); the number still unfinished. */
    const drain = async (ids: readonly string[]) => {
      const start = nowMs();
      while (ids.some((id) => !done.has(id)) && nowMs() - start < DRAIN_MS) await sleep(50);
      return ids.filter((id) => !done.has(id)).length;
    };
    try {
      // Warm up (JIT, pools, prepared statements) with orders that are not counted.
      const warm = await sendOrders(0, Math.round(RATE * WARMUP_SECONDS));
      await drain(warm.ids);
      await meter.quiet(QUIET_PER_S);
      // The idle cost (both hosts running, nothing to do), subtracted below.
      const s0 = await meter.sample();
      const q0 = await statements();
      await sleep(IDLE_SECONDS * 1000);
      const s1 = await meter.sample();
      const q1 = await statements();
      const idle = costBetween(s0, s1);
      const idlePerS = idle.xacts / idle.seconds;

      const calls = Math.round(RATE * SECONDS);
      const { ids, accepted } = await sendOrders(warm.calls, calls);
      const unfinished = await drain(ids);
      // Until what the orders caused downstream (handlers, read models) is done too.
      const settled = await meter.quiet(Math.max(idlePerS * 1.3, idlePerS + 10));
      const s2 = await meter.sample();
      const q2 = await statements();
      const load = costBetween(s1, s2);

      const n = Math.max(1, accepted);
      const claims = await sagasClaimedAgain(deployment.database);
      if (q1 && q2 && process.env.BENCH_COST_STATEMENTS_FILE) {
        writeStatementList(process.env.BENCH_COST_STATEMENTS_FILE, statementsBetween(q1, q2), n);
      }
      const netXacts = load.xacts - (idle.xacts / idle.seconds) * load.seconds;
      const netRows = load.rows - (idle.rows / idle.seconds) * load.seconds;
      const cpu = per(load, n, idle);
      const hostsAndDb = (cpu.host_a ?? 0) + (cpu.host_b ?? 0) + (cpu.postgres ?? 0);
      emit({
        name: 'e2e.cost_per_order',
        hosts: 2,
        rate_per_s: RATE,
        seconds: SECONDS,
        orders: accepted,
        non_2xx: calls - accepted,
        unfinished,
        settled,
        sagas_claimed_again: claims.claimedAgain,
        saga_max_lease_token: claims.maxToken,
        window_s: round(load.seconds, 1),
        xacts_per_order: round(netXacts / n, 2),
        xacts_per_order_raw: round(load.xacts / n, 2),
        rows_written_per_order: round(netRows / n, 2),
        rows_written_per_order_raw: round(load.rows / n, 2),
        cpu_ms_per_order: cpu,
        cpu_ms_per_order_hosts_and_db: round(hostsAndDb, 3),
        cpu_ms_per_order_raw: per(load, n),
        kernel_ms_per_order: per(load, n, idle, 'sysMs'),
        kernel_ms_per_order_raw: per(load, n, undefined, 'sysMs'),
        write_syscalls_per_order: per(load, n, idle, 'writes'),
        write_syscalls_per_order_raw: per(load, n, undefined, 'writes'),
        idle_xacts_per_s: round(idle.xacts / idle.seconds, 1),
        idle_rows_per_s: round(idle.rows / idle.seconds, 1),
        idle_cpu_ms_per_s: per(idle, idle.seconds),
        ...(q0 && q1 && q2
          ? statementsPerOrder(statementsBetween(q1, q2), statementsBetween(q0, q1), n)
          : {}),
      });
    } finally {
      await meter.stop();
    }
  } finally {
    await deployment.close();
  }
}
