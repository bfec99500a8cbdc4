/**
 * `npm run bench -- ingest`: webhook ingestion.
 *
 * `ingest.tiktok_webhook`: signed TikTok Shop webhooks (type 1 order status
 * changes, every one a new notification) posted by autocannon to a real
 * Express host, in a child process of its own, whose receiver verifies the
 * signature, validates, rate-limits per shop (in-memory, default 1,000/min;
 * spread over 1,000 shops) and commits the events to PostgreSQL before
 * answering. Reports requests/s, latency percentiles per request (from
 * autocannon's response callbacks), non-2xx count and the server's peak RSS;
 * the median run by throughput.
 *
 * Environment: BENCH_PG_URL, BENCH_RUNS (default 3), BENCH_INGEST_SECONDS
 * (default 10), BENCH_INGEST_CONNECTIONS (default 16), BENCH_ONLY.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import express from 'express';
import { registerCommerceEvents } from '../src/commerce/events/catalog.js';
import { expressAdapter } from '../src/http/express.js';
import { createTikTokWebhookHandler } from '../src/commerce/ingest/tiktok/webhook-handler.js';
import { signTikTokWebhook } from '../src/commerce/ingest/tiktok/webhook-signature.js';
import { openOurStore } from './support/our-store.js';
import { emit, latencySummary, median, medianOf } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 16);
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const selected = (name: string): boolean => ONLY.length === 0 || ONLY.some((p) => name.startsWith(p));

const APP_KEY = 'bench-app-key';
const APP_SECRET = 'bench-app-secret';
const SHOPS = 1000;
const POOL_MAX = 16;
const SERVER_FLAG = '--ingest-bench-server';

type ServerMessage =
  | { port: number }
  | { marked: true }
  | { stopped: true; events: number; commits: number; peakRssMb: number; cpuMsSinceMark: number };

/** The host under test: Express + the TikTok receiver + our store on PostgreSQL. Runs in the child. */
async function serve(): Promise<void> {
  const bench = await openOurStore(POOL_MAX);
  registerCommerceEvents(bench.store);
  const app = express();
  app.disable('x-powered-by'); // as the example hosts do
  app.post(
    '/api/webhooks/tiktok',
    expressAdapter(
      createTikTokWebhookHandler({ store: bench.store, appKey: APP_KEY, appSecret: APP_SECRET }),
    ),
  );
  const server = http.createServer(app);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send!({ port: (server.address() as AddressInfo).port } satisfies ServerMessage);
  let mark = process.cpuUsage();
  process.on('message', (msg) => {
    if (msg === 'mark') {
      mark = process.cpuUsage();
      process.send!({ marked: true } satisfies ServerMessage);
      return;
    }
    if (msg !== 'stop') return;
    const cpu = process.cpuUsage(mark);
    const cpuMsSinceMark = (cpu.user + cpu.system) / 1000;
    void (async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      // Distinct transactions = store flushes: how many webhooks group commit put in one.
      const { rows } = await bench.pool.query<{ n: string; commits: string }>(
        `SELECT count(*) AS n, count(DISTINCT transaction_id) AS commits
           FROM "${bench.schema}".events WHERE event_type = 'tiktok.webhook_received'`,
      );
      const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
      await bench.dispose();
      process.send!(
        {
          stopped: true,
          events: Number(rows[0]!.n),
          commits: Number(rows[0]!.commits),
          peakRssMb,
          cpuMsSinceMark,
        } satisfies ServerMessage,
        () => process.exit(0),
      );
    })();
  });
}

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_SERVER_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`]
        : []),
    ],
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', (msg: ServerMessage) =>
      'port' in msg ? resolve({ child, port: msg.port }) : reject(new Error('unexpected')),
    );
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

function markServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (msg: ServerMessage) => {
      if (!('marked' in msg)) return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
    child.send('mark');
  });
}

function stopServer(
  child: ChildProcess,
): Promise<{ events: number; commits: number; peakRssMb: number; cpuMsSinceMark: number }> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('message', (msg: ServerMessage) => {
      if ('stopped' in msg) resolve(msg);
    });
    child.send('stop');
  });
}

/** Pre-signed webhook bodies: order i gets UNPAID then AWAITING_SHIPMENT, spread over the shops. */
function signedRequests(count: number): { body: string; authorization: string }[] {
  const run = randomBytes(4).toString('hex');
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => {
    const order = Math.floor(i / 2);
    const body = JSON.stringify({
      type: 1,
      tts_notification_id: `${run}-${i}`,
      shop_id: `shop-${order % SHOPS}`,
      timestamp: now,
      data: {
        order_id: `${run}${order}`,
        order_status: i % 2 === 0 ? 'UNPAID' : 'AWAITING_SHIPMENT',
        is_on_hold_order: false,
        update_time: now,
      },
    });
    return { body, authorization: signTikTokWebhook(APP_KEY, APP_SECRET, Buffer.from(body)) };
  });
}

async function load(port: number, seconds: number, requests: { body: string; authorization: string }[]) {
  let next = 0;
  const latencies: number[] = [];
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/api/webhooks/tiktok',
            setupRequest: (req) => {
              const r = requests[next++ % requests.length]!;
              return {
                ...req,
                body: r.body,
                headers: { 'content-type': 'application/json', authorization: r.authorization },
              };
            },
          },
        ],
      },
      (err, res) => (err ? reject(err as Error) : resolve(res)),
    );
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) =>
    latencies.push(ms),
  );
  const result = await done;
  return { result, latencies, sent: next };
}

/** One run: fresh server and schema, 2 s warm-up, then the measured load. */
async function tiktokWebhookRun(): Promise<Record<string, number>> {
  const { child, port } = await startServer();
  let acknowledged = 0;
  let measured: Record<string, number> = {};
  try {
    const requests = signedRequests(SECONDS * 8000 + 20_000);
    const warmup = await load(port, 2, requests.slice(-20_000)); // its own notifications
    acknowledged += warmup.result['2xx'];
    await markServer(child);
    const { result, latencies } = await load(port, SECONDS, requests.slice(0, -20_000));
    acknowledged += result['2xx'];
    measured = {
      requests_per_s: Math.round(result['2xx'] / SECONDS),
      ...latencySummary(latencies),
      non_2xx: result.non2xx + result.errors + result.timeouts,
      ok_requests: result['2xx'],
    };
  } finally {
    const server = await stopServer(child);
    measured = {
      ...measured,
      // CPU of the host process per acknowledged webhook: what the code costs, whatever the machine's load.
      server_cpu_us_per_request: Math.round(
        (server.cpuMsSinceMark * 1000) / Math.max(1, measured.ok_requests ?? 0),
      ),
      server_peak_rss_mb: server.peakRssMb,
      // Webhooks per store transaction over the whole run (warm-up included).
      webhooks_per_commit: Math.round((server.events / Math.max(1, server.commits)) * 100) / 100,
      // Acknowledged webhooks missing from the log: must be 0 (the log may hold more:
      // requests still in flight when the load stopped were committed but not counted).
      acknowledged_not_committed: Math.max(0, acknowledged - server.events),
    };
  }
  return measured;
}

/**
 * CPU per webhook of the receiver alone (signature, JSON, schemas, rate limit,
 * mapping) with a store that writes nothing: separates our code's cost from
 * HTTP, the store and a busy machine. Median of three passes.
 */
async function handlerOnlyCpuUs(): Promise<number> {
  const store = {
    append: () =>
      Promise.resolve({ streamId: '', nextVersion: 1, positions: [], checkpoint: '0:0', duplicate: false }),
  };
  const handler = createTikTokWebhookHandler({ store, appKey: APP_KEY, appSecret: APP_SECRET });
  const requests = signedRequests(10_000).map((r) => ({
    method: 'POST',
    path: '/api/webhooks/tiktok',
    headers: { authorization: r.authorization },
    rawBody: Buffer.from(r.body),
    params: {},
  }));
  const passes: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    const start = process.cpuUsage();
    for (const request of requests) await handler(request);
    const cpu = process.cpuUsage(start);
    passes.push((cpu.user + cpu.system) / requests.length);
  }
  return Math.round(median(passes) * 10) / 10;
}

/** Runs the ingest benchmarks and prints one JSON line per case. */
export default async function ingestBenchmarks(): Promise<void> {
  if (selected('ingest.tiktok_webhook')) {
    const handlerCpu = await handlerOnlyCpuUs();
    const result = await medianOf<Record<string, number>>(RUNS, 'requests_per_s', tiktokWebhookRun);
    emit({
      name: 'ingest.tiktok_webhook',
      engine: 'postgres',
      connections: CONNECTIONS,
      seconds: SECONDS,
      pool_max: POOL_MAX,
      shops: SHOPS,
      ...result,
      target_requests_per_s: 2000,
      target_p95_ms: 20,
      handler_only_cpu_us_per_request: handlerCpu,
      peak_rss_mb: result.server_peak_rss_mb,
      // The machine is shared; a high load average means the figures understate the code.
      load_avg_1m: Math.round(os.loadavg()[0]! * 10) / 10,
      cpus: os.cpus().length,
    });
  }
}

if (process.argv.includes(SERVER_FLAG)) await serve();
