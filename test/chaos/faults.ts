/**
 * The fault injector: each planned fault done to the real processes and
 * servers, recorded in the history when it starts and when it is over (the
 * host listening again, the server accepting connections, the lock released).
 */
import pg from 'pg';
import type { PlannedFault } from './fault-schedule.js';
import type { HistoryWriter } from './history.js';
import type { HostCluster } from './host-cluster.js';
import type { PrivatePostgres } from './private-postgres.js';
import type { PrivateRedis } from './private-redis.js';
import { waitUntil } from './wait-until.js';

/** What the injector acts on. */
export interface FaultTargets {
  cluster: HostCluster;
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  /** Schema of the hosts' tables. */
  schema: string;
  history: HistoryWriter;
}

/** Connections of the harness carry this application name; the injector never terminates them. */
export const HARNESS_APPLICATION = 'chaos-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: HARNESS_APPLICATION });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Do one fault; resolves with a description once it is over. */
async function inject(fault: PlannedFault, targets: FaultTargets): Promise<string> {
  const { cluster, postgres, redis } = targets;
  switch (fault.kind) {
    case 'kill_host': {
      const host = fault.host ?? 0;
      await cluster.kill(host);
      await sleep(fault.durationMs);
      await cluster.start(host);
      return `SIGKILL host ${host}, restarted after ${fault.durationMs} ms`;
    }
    case 'restart_postgres': {
      const mode = fault.mode ?? 'fast';
      await postgres.stop(mode);
      await sleep(fault.durationMs);
      await postgres.start();
      return `pg_ctl stop -m ${mode}, down ${fault.durationMs} ms, started`;
    }
    case 'terminate_backends': {
      const terminated = await withClient(postgres.url, async (client) => {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND backend_type = 'client backend' AND application_name <> $1`,
          [HARNESS_APPLICATION],
        );
        return Number(rows[0]?.n ?? 0);
      });
      return `pg_terminate_backend on ${terminated} host connections`;
    }
    case 'stop_redis':
      await redis.stop();
      await sleep(fault.durationMs);
      await redis.start();
      return `redis SHUTDOWN NOSAVE, down ${fault.durationMs} ms, started`;
    case 'hold_lock':
      // Appends lock their stream rows; while this is held they wait, and a host
      // with a short query_timeout gives up on flushes whose outcome it cannot know.
      await withClient(postgres.url, async (client) => {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = '10s'`);
        await client.query(`LOCK TABLE "${targets.schema}".streams IN SHARE ROW EXCLUSIVE MODE`);
        await sleep(fault.durationMs);
        await client.query('ROLLBACK');
      });
      return `LOCK TABLE streams IN SHARE ROW EXCLUSIVE MODE held ${fault.durationMs} ms`;
  }
}

/** Bound on waiting for every host to listen again before the next fault, ms. */
const RECOVERY_BOUND_MS = 120_000;

/**
 * Run the schedule, one fault after another: each once every host listens
 * again (a host that died of the previous fault is restarted by the cluster)
 * and its quiet gap has passed, so each fault hits a whole cluster. New
 * faults stop once `untilMs` has passed and at least `minFaults` ran.
 * Returns the faults that could not be injected.
 *
 * @example
 * ```ts
 * const failed = await runFaults(plan, targets, { untilMs: Date.now() + 60_000, minFaults: 5, log });
 * ```
 */
export async function runFaults(
  plan: readonly PlannedFault[],
  targets: FaultTargets,
  options: { untilMs: number; minFaults: number; log: (line: string) => void },
): Promise<string[]> {
  const { log } = options;
  const failed: string[] = [];
  for (const fault of plan) {
    if (fault.n >= options.minFaults && Date.now() > options.untilMs) break;
    // A host may die a moment after the previous fault ended: check again after the gap.
    await sleep(fault.gapMs);
    const deadline = Date.now() + RECOVERY_BOUND_MS;
    while (!targets.cluster.allReady() && Date.now() < deadline) {
      await waitUntil(async () => targets.cluster.allReady(), { timeoutMs: deadline - Date.now() });
      await sleep(fault.gapMs);
    }
    if (!targets.cluster.allReady()) {
      failed.push(`fault ${fault.n} (${fault.kind}): hosts still down after ${RECOVERY_BOUND_MS} ms`);
    }
    const base = { type: 'fault', n: fault.n, kind: fault.kind } as const;
    targets.history.record({ ...base, phase: 'start', detail: '' });
    log(`fault ${fault.n}: ${fault.kind} …`);
    let detail: string;
    try {
      detail = await inject(fault, targets);
    } catch (err) {
      detail = `injection failed: ${err instanceof Error ? err.message : String(err)}`;
      failed.push(`fault ${fault.n} (${fault.kind}): ${detail}`);
    }
    targets.history.record({ ...base, phase: 'end', detail });
    log(`fault ${fault.n}: ${detail}`);
  }
  return failed;
}
