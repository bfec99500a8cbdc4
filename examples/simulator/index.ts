/**
 * `tsx examples/simulator/index.ts --url http://localhost:3000 --rate 5`
 *
 * Standalone TikTok Shop traffic generator. Point a host's
 * `TIKTOK_API_URL` at the mock Open API it prints (default port 3100).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startSimulator } from './simulator.js';

export { startSimulator, type Simulator, type SimulatorOptions, type SimulatorStats } from './simulator.js';
export { FakeShop, type Notification, type TrafficOptions } from './fake-shop.js';
export { CATALOG, VIRAL_PRODUCT_ID, type Product } from './catalog.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://localhost:3000' },
      rate: { type: 'string', default: '2' },
      'api-port': { type: 'string', default: '3100' },
      'viral-after': { type: 'string', default: '15' },
      'viral-duration': { type: 'string', default: '30' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'Usage: tsx examples/simulator/index.ts [--url URL] [--rate ORDERS_PER_S] [--api-port PORT]\n' +
        '       [--viral-after S] [--viral-duration S] [--duration S] [--seed N]',
    );
    return;
  }
  const sim = await startSimulator({
    url: values.url,
    rate: Number(values.rate),
    apiPort: Number(values['api-port']),
    viralAfterMs: Number(values['viral-after']) * 1000,
    viralDurationMs: Number(values['viral-duration']) * 1000,
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    onError: (n, status, error) => console.error(`webhook ${n.kind} → ${status} ${error ?? ''}`),
  });
  console.log(`Simulating TikTok Shop traffic to ${values.url} at ${values.rate} orders/s`);
  console.log(`Mock TikTok Shop Open API at ${sim.apiUrl} (set TIKTOK_API_URL on the host)`);
  const report = setInterval(() => {
    const { orders, sent, failed } = sim.stats;
    console.log(`orders ${orders}  webhooks ${sent}  failed ${failed}`);
  }, 5000);
  const stop = async () => {
    clearInterval(report);
    await sim.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (values.duration !== undefined) setTimeout(() => void stop(), Number(values.duration) * 1000);
}

// Run only as a script, not when imported by the demo or tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
