/**
 * `npm run demo`: the Express host on embedded PGlite with the TikTok Shop
 * simulator, at http://localhost:3000 (`PORT` to change it). No database
 * server needed. Ctrl-C to stop.
 */
import { startExpressHost } from './express-host/app.js';
import { CATALOG } from './simulator/catalog.js';
import { startSimulator } from './simulator/simulator.js';

const rate = Number(process.env.SIM_RATE ?? 2);
// The mock TikTok Shop API must be up before the host, which calls it.
const simulator = await startSimulator({ url: 'http://localhost', rate, autoStart: false });
const running = await startExpressHost({
  tiktokApiUrl: simulator.apiUrl,
  thresholds: Object.fromEntries(CATALOG.map((p) => [p.sellerSku, p.threshold])),
});
simulator.retarget(running.url);
simulator.resume();

const { database, redis } = running.host.backends;
console.log(`
  CreatorFlow sync demo
  Dashboard   ${running.url}
  Health      ${running.url}/healthz
  Database    ${database === 'pglite' ? 'embedded PGlite (in memory)' : 'PostgreSQL'}${redis ? ' + Redis' : ''}
  Simulator   ${rate} orders/s, viral spike on "${CATALOG[0]!.name}" after 15 s

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
  await running.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
