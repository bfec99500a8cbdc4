/**
 * CPU spent per event, client and server side. On a machine shared with other
 * work, throughput swings with the CPU share a run happens to get; CPU time
 * per event does not, so it is the fairer measure of efficiency.
 *
 * Server CPU is read from /proc/<pid>/stat of the PostgreSQL backends serving
 * a pool (found by `application_name`), so it only works when PostgreSQL runs
 * on this machine; otherwise it is reported as null.
 */
import { readFileSync } from 'node:fs';
import { openPool } from './pg-bench.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

function backendTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

async function backendPids(applicationName: string): Promise<number[]> {
  const pool = openPool({ max: 1 });
  try {
    const { rows } = await pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    return rows.map((r) => r.pid);
  } finally {
    await pool.end();
  }
}

/** What {@link startCpuMeter} measured, per event, in microseconds. */
export interface CpuPerEvent {
  client_cpu_us_per_event: number;
  server_cpu_us_per_event: number | null;
}

/**
 * Start measuring this process's CPU and that of the backends whose
 * `application_name` is `applicationName`; `stop(events)` returns CPU per event.
 *
 * @example
 * ```ts
 * const meter = await startCpuMeter('bench-ours');
 * await load();
 * const cpu = await meter.stop(20_000);
 * ```
 */
export async function startCpuMeter(
  applicationName: string,
): Promise<{ stop(events: number): Promise<CpuPerEvent> }> {
  const before = new Map<number, number>();
  for (const pid of await backendPids(applicationName)) {
    const ticks = backendTicks(pid);
    if (ticks !== undefined) before.set(pid, ticks);
  }
  const client0 = process.cpuUsage();
  return {
    async stop(events: number) {
      const client = process.cpuUsage(client0);
      let serverTicks: number | null = 0;
      const pids = await backendPids(applicationName);
      for (const pid of pids) {
        const ticks = backendTicks(pid);
        if (ticks === undefined) {
          serverTicks = null; // not on this machine (or gone): unknown
          break;
        }
        serverTicks += ticks - (before.get(pid) ?? 0);
      }
      if (pids.length === 0) serverTicks = null;
      const perEvent = (us: number) => Math.round((us / events) * 10) / 10;
      return {
        client_cpu_us_per_event: perEvent(client.user + client.system),
        server_cpu_us_per_event: serverTicks === null ? null : perEvent((serverTicks * 1e6) / TICKS_PER_S),
      };
    },
  };
}
