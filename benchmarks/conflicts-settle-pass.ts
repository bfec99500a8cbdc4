/**
 * `conflicts.settle_pass` (part of `npm run bench -- conflicts`): the work of
 * one `resolve-sync-conflicts` pass over N due entities on real PostgreSQL,
 * each with a window of K stock figures from four sources (the commerce
 * flow's mix: most agree, some a unit lower, a few far off). The products
 * already have a stock level, as in the flow after its first windows.
 *
 * It counts what the pass costs, which a loaded machine does not change:
 * statements and transactions sent during the pass, and CPU per window in
 * this process and in the PostgreSQL backends of its pool. `wall_ms` is
 * given too, but it is only meaningful on a quiet machine.
 *
 * With BENCH_PASS_AHEAD=1 the windows are first resolved ahead, as the timer
 * does halfway through their grace (`prepareClosing`), outside the measured
 * pass: the pass is then what remains on the due path.
 *
 * Environment: BENCH_PG_URL, BENCH_PASS_ENTITIES (500), BENCH_PASS_REPORTS (20),
 * BENCH_PASS_AHEAD (0).
 */
import { loadavg } from 'node:os';
import { createCommerce } from '../src/commerce/create-commerce.js';
import { countRoundTrips } from './conflicts-commerce-flow.js';
import { startCpuMeter } from './support/cpu-meter.js';
import { openOurStore } from './support/our-store.js';
import { settlePassReports } from './support/settle-pass-reports.js';
import { emit, nowMs, round } from './support/stats.js';

/**
 * Run the case once and emit its JSON line.
 *
 * @example
 * ```ts
 * await settlePassCase(); // BENCH_PASS_ENTITIES=50 for a smoke run
 * ```
 */
export async function settlePassCase(): Promise<void> {
  const entities = Number(process.env.BENCH_PASS_ENTITIES ?? 500);
  const reports = Number(process.env.BENCH_PASS_REPORTS ?? 20);
  const ahead = process.env.BENCH_PASS_AHEAD === '1';
  const bench = await openOurStore(16);
  // The timer never fires: the pass is started by hand.
  const commerce = createCommerce({ store: bench.store, conflicts: { tickMs: 3_600_000 } });
  try {
    await commerce.start();
    const conflicts = commerce.conflicts!;
    // Two windows per product in the past (200 ms between figures): the first gives it a stock level.
    const stage = settlePassReports(bench.store, conflicts, entities, reports);
    const t0 = Date.now() - 120_000;
    await stage(t0);
    await conflicts.settleDue();
    await stage(t0 + 60_000);
    // The measured windows fall due 66 s after t0 (5 s window, 1 s grace): resolve them ahead.
    const preparedAhead = ahead ? await conflicts.prepareClosing(t0 + 66_000 - 1) : 0;

    const trips = countRoundTrips();
    const meter = await startCpuMeter(bench.schema);
    const started = nowMs();
    const result = await conflicts.settleDue();
    const wallMs = nowMs() - started;
    trips.stop();
    const windows = result.applied + result.resolved + result.escalated;
    const cpu = await meter.stop(Math.max(1, windows));
    emit({
      name: 'conflicts.settle_pass',
      engine: 'postgres',
      // The run's own schema: its statements in pg_stat_statements name it.
      schema: bench.schema,
      entities,
      reports_per_window: reports,
      windows,
      prepared_ahead: preparedAhead,
      escalated: result.escalated,
      statements: trips.statements,
      transactions: trips.transactions,
      client_cpu_us_per_window: cpu.client_cpu_us_per_event,
      server_cpu_us_per_window: cpu.server_cpu_us_per_event,
      windows_per_cpu_s: round(1e6 / (cpu.client_cpu_us_per_event + (cpu.server_cpu_us_per_event ?? 0)), 0),
      wall_ms: round(wallMs, 0),
      load_avg_1m: round(loadavg()[0]!),
    });
  } finally {
    await commerce.stop();
    await bench.dispose();
  }
}
