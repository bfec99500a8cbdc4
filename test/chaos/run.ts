/**
 * `npm run chaos` — the fault suite. Starts a private PostgreSQL and Redis,
 * N host processes, the simulator's traffic and realtime clients; injects the
 * seeded fault schedule; lets everything settle; then the checker reads the
 * history and the database and prints ONE JSON report on stdout (progress
 * goes to stderr). Exit status 0 only when every invariant held.
 *
 *   CHAOS_SHORT=1 npm run chaos      # about two minutes, every fault once
 *   CHAOS_MINUTES=15 npm run chaos   # the long form (default 15 minutes)
 *
 * Other settings: CHAOS_SEED, CHAOS_HOSTS, CHAOS_RATE, CHAOS_QUERY_TIMEOUT_MS,
 * CHAOS_KEEP=1 (keep the run directory), CHAOS_HOST_ENTRY, CHAOS_FRAMEWORKS,
 * CHAOS_ADMISSION=on (hosts shed load with admission control).
 */
import { DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import { seededRandom } from '../../examples/simulator/random.js';
import { checkRun } from './checker/check-run.js';
import { chaosConfig, type ChaosConfig } from './config.js';
import { CHAOS_SCHEMA, openEnvironment, type ChaosEnvironment } from './environment.js';
import { planFaults } from './fault-schedule.js';
import { runFaults } from './faults.js';
import { HealthPoller } from './health-poller.js';
import { FAULT_KINDS, readHistory } from './history.js';
import { readProgress, settled, type Progress } from './progress.js';
import { RealtimeObservers, observerPlan } from './realtime-observers.js';
import { buildReport, type ChaosReport, type HarnessNotes } from './report.js';
import { serverRows } from './server-rows.js';
import { waitUntil } from './wait-until.js';
import { WebhookDriver } from './webhook-driver.js';

const startedAt = Date.now();
const log = (line: string) =>
  process.stderr.write(`[chaos ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runScenario(
  config: ChaosConfig,
  env: ChaosEnvironment,
  notes: HarnessNotes,
): Promise<ChaosReport> {
  const { cluster, history, sql } = env;
  history.record({
    type: 'run',
    seed: config.seed,
    startedAt: new Date(history.startedAt).toISOString(),
    hosts: config.hosts,
    schema: CHAOS_SCHEMA,
    config: { ...config },
  });
  log(`starting ${config.hosts} hosts (seed ${config.seed}, ${config.form} form)`);
  await cluster.startAll();
  const health = new HealthPoller(cluster, history);
  health.start();
  const observers = new RealtimeObservers(observerPlan(config.hosts), (i) => cluster.url(i));
  let late: RealtimeObservers | undefined;
  const driver = new WebhookDriver({ shop: env.shop, target: DEMO_CREDENTIALS, hosts: cluster, history });
  try {
    driver.start();
    history.record({ type: 'phase', phase: 'traffic' });
    log(`traffic at ${config.rate} orders/s; faults after ${config.warmupMs / 1000} s`);
    await sleep(config.warmupMs);

    const plan = planFaults({
      random: seededRandom(config.seed + 2),
      phaseMs: config.faultPhaseMs,
      hosts: config.hosts,
      gapMs: config.gapMs,
    });
    const failed = await runFaults(
      plan,
      { ...env, schema: CHAOS_SCHEMA },
      {
        untilMs: Date.now() + config.faultPhaseMs,
        minFaults: FAULT_KINDS.length,
        log,
      },
    );
    notes.errors.push(...failed);
    history.record({ type: 'phase', phase: 'faults_over' });
    log(`faults over; ${config.cooldownMs / 1000} s of quiet traffic`);
    await sleep(config.cooldownMs);

    driver.stopGenerating();
    history.record({ type: 'phase', phase: 'generation_stopped' });
    log(`traffic stopped (${driver.stats.webhooks} webhooks); draining retries`);
    notes.drained = await driver.drain(config.drainMs);
    notes.skippedTicks = driver.stats.skippedTicks;
    if (!notes.drained) notes.errors.push(`retries still pending after ${config.drainMs} ms (given up)`);
    history.record({ type: 'phase', phase: 'drained' });

    log('waiting for sagas and readers to settle');
    let progress: Progress | undefined;
    notes.settled = await waitUntil(async () => settled((progress = await readProgress(sql, CHAOS_SCHEMA))), {
      timeoutMs: config.quiesceMs,
      intervalMs: 1000,
    });
    if (!notes.settled) log(`not settled: ${JSON.stringify(progress)}`);
    await waitUntil(async () => (await health.poll()).every((s) => s === 'ok'), {
      timeoutMs: 30_000,
      intervalMs: 1000,
    });
    // Clients that subscribe only now, after every fault and more batches than a channel's
    // replay buffer keeps: their first snapshot must hold every row too.
    late = new RealtimeObservers(
      observerPlan(config.hosts).map((spec) => ({ ...spec, name: `late-${spec.name}` })),
      (i) => cluster.url(i),
    );
    log(
      'comparing realtime copies with the server (clients of the whole run, and clients that joined at its end)',
    );
    const rows = serverRows(sql, CHAOS_SCHEMA, [DEMO_CREDENTIALS.creatorId]);
    for (const set of [observers, late]) {
      for (const record of await set.compare(rows, config.convergeMs, () => history.now())) {
        history.record(record);
      }
    }
    history.record({ type: 'phase', phase: 'quiesced' });
  } finally {
    health.stop();
    observers.close();
    late?.close();
    driver.stopGenerating();
  }
  history.record({ type: 'ledger', entries: env.providers.ledger() });
  log('stopping hosts');
  await cluster.stopAll();
  history.record({ type: 'phase', phase: 'end' });
  await history.close();

  log('checking');
  const verdict = await checkRun({
    sql,
    schema: CHAOS_SCHEMA,
    scratchSchema: `${CHAOS_SCHEMA}_rebuild`,
    hosts: config.hosts,
    records: readHistory(history.path),
  });
  return buildReport(config, verdict, notes, Date.now() - startedAt);
}

async function main(): Promise<number> {
  const config = chaosConfig();
  const notes: HarnessNotes = { errors: [], drained: false, settled: false, skippedTicks: 0, runDir: null };
  let env: ChaosEnvironment | undefined;
  // Hosts and servers run in their own process groups: a Ctrl-C reaches only
  // this process, which must take them down (a second signal changes nothing).
  const abort = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping everything`);
    env?.killNow();
    if (env) log(`run directory kept: ${env.runDir}`);
    process.exit(130);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, abort);
  // Whatever else happens (an uncaught error included), nothing of ours outlives the runner.
  process.once('exit', () => env?.killNow());
  let report: ChaosReport | undefined;
  try {
    env = await openEnvironment(config, log);
    report = await runScenario(config, env, notes);
    const keep = config.keep || !report.ok;
    if (keep) report.harness.runDir = env.runDir;
    await env.close(keep);
  } catch (err) {
    log(`harness failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await env?.close(true);
    if (env) log(`run directory kept: ${env.runDir}`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  log(report.ok ? 'PASS' : `FAIL: ${report.violated.join(', ') || report.harness.errors.join('; ')}`);
  return report.ok ? 0 : 1;
}

process.exitCode = await main();
