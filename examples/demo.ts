/**
 * `npm run demo`: the Express host on embedded PGlite with the TikTok Shop
 * simulator, at http://localhost:3000 (`PORT` to change it). No database
 * server needed. Ctrl-C to stop.
 *
 * `HOSTS=3 npm run demo` (with `DATABASE_URL`, and `REDIS_URL` if you like)
 * runs three host processes on ports PORT, PORT+1, PORT+2 sharing the
 * database; the simulator spreads its webhooks over them and all of them
 * call the simulator's fake payment and shipping providers.
 */
import { startExpressHost } from './express-host/app.js';
import { spawnHost, type HostProcess } from './shared/host-process.js';
import { CATALOG, VIRAL_PRODUCT_ID } from './simulator/catalog.js';
import { startSimulator } from './simulator/simulator.js';

const rate = Number(process.env.SIM_RATE ?? 2);
const hosts = Number(process.env.HOSTS ?? 1);
if (!Number.isInteger(hosts) || hosts < 1) throw new Error('HOSTS must be a positive integer');
if (hosts > 1 && !process.env.DATABASE_URL) {
  console.error('HOSTS > 1 needs DATABASE_URL (PostgreSQL): PGlite belongs to one process.');
  process.exit(1);
}
const basePort = Number(process.env.PORT ?? 3000);
const thresholds = Object.fromEntries(CATALOG.map((p) => [p.sellerSku, p.threshold]));
// The shop's past two years of daily sales, so the dashboard's forecast charts have a history.
const salesHistory = {
  products: CATALOG.map((p) => ({ productId: p.id, weight: p.weight, viral: p.id === VIRAL_PRODUCT_ID })),
};

// The mock TikTok Shop API must be up before the hosts, which call it.
const simulator = await startSimulator({ url: 'http://localhost', rate, autoStart: false });
let urls: string[];
let close: () => Promise<unknown>;
if (hosts === 1) {
  const running = await startExpressHost({
    tiktokApiUrl: simulator.apiUrl,
    thresholds,
    salesHistory,
    // Forecasts every minute in the demo (the specification's 5 minutes otherwise).
    analyticsEveryMs: 60_000,
  });
  urls = [running.url];
  close = () => running.close();
} else {
  const processes: HostProcess[] = await Promise.all(
    Array.from({ length: hosts }, (_, i) =>
      spawnHost({
        env: {
          PORT: String(basePort + i),
          HOST_ID: process.env.HOST_ID ? `${process.env.HOST_ID}-${i + 1}` : `host-${i + 1}`,
          TIKTOK_API_URL: simulator.apiUrl,
          PROVIDERS_URL: simulator.providersUrl,
          STOCK_THRESHOLDS: JSON.stringify(thresholds),
        },
        onLog: (line) => console.error(line),
      }),
    ),
  );
  urls = processes.map((p) => p.url);
  close = () => Promise.all(processes.map((p) => p.stop()));
}
simulator.retarget(urls);
simulator.resume();

const database = process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite (in memory)';
console.log(`
  CreatorFlow sync demo
  Dashboard   ${urls.join('  ')}
  Health      ${urls.map((u) => `${u}/healthz`).join('  ')}
  Database    ${database}${process.env.REDIS_URL ? ' + Redis' : ''}
  Simulator   ${rate} orders/s over ${hosts} host${hosts > 1 ? 's' : ''}, viral spike on "${CATALOG[0]!.name}" after 15 s${
    hosts > 1 ? `\n  Providers   ${simulator.providersUrl}/ledger` : ''
  }

  Ctrl-C to stop.
`);

const report = setInterval(() => {
  const { orders, sent, failed } = simulator.stats;
  console.log(`  orders ${orders}  webhooks ${sent}  failed ${failed}`);
}, 10_000);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(report);
  simulator.pause();
  await simulator.stop();
  await close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
