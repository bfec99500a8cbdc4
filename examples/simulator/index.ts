/**
 * `tsx examples/simulator/index.ts --url http://127.0.0.1:3000 --rate 5`
 *
 * Standalone TikTok Shop traffic generator, mock TikTok Shop Open API and
 * fake payment and shipping providers. Every flag has an environment
 * variable (`SIM_TARGETS`, comma-separated host URLs, round robin;
 * `SIM_RATE`; `SIM_API_PORT`; `SIM_PROVIDERS_PORT`; `SIM_DURATION`;
 * `SIM_SEED`); credentials come from the hosts' variables (`host-config.ts`).
 * Point the hosts' `TIKTOK_API_URL` and `PROVIDERS_URL` at the URLs it
 * prints. Its modules are importable (see the exports).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readCredentials } from '../shared/host-config.js';
import { startSimulator } from './simulator.js';

export { startSimulator, type Simulator, type SimulatorOptions, type SimulatorStats } from './simulator.js';
export { FakeShop, type Notification, type TrafficOptions } from './fake-shop.js';
export { CATALOG, VIRAL_PRODUCT_ID, type Product } from './catalog.js';
export { buildWebhook, postWebhook, type PostResult, type WebhookTarget } from './webhook-sender.js';
export { openApiHandler, serveOpenApi } from './open-api.js';
export {
  fakeProvidersHandler,
  serveFakeProviders,
  type FakeProviders,
  type FakeProvidersOptions,
} from './fake-providers/provider-service.js';
export { ProviderLedger, type LedgerEntry } from './fake-providers/ledger.js';

async function main(): Promise<void> {
  const env = process.env;
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: env.SIM_TARGETS ?? 'http://127.0.0.1:3000' },
      rate: { type: 'string', default: env.SIM_RATE ?? '2' },
      'api-port': { type: 'string', default: env.SIM_API_PORT ?? '3100' },
      'providers-port': { type: 'string', default: env.SIM_PROVIDERS_PORT ?? '3200' },
      'viral-after': { type: 'string', default: '15' },
      'viral-duration': { type: 'string', default: '30' },
      duration: { type: 'string', ...(env.SIM_DURATION ? { default: env.SIM_DURATION } : {}) },
      seed: { type: 'string', ...(env.SIM_SEED ? { default: env.SIM_SEED } : {}) },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'Usage: tsx examples/simulator/index.ts [--url URL[,URL…]] [--rate ORDERS_PER_S] [--api-port PORT]\n' +
        '       [--providers-port PORT] [--viral-after S] [--viral-duration S] [--duration S] [--seed N]',
    );
    return;
  }
  const urls = values.url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const { credentials } = readCredentials(env);
  const sim = await startSimulator({
    url: urls,
    target: credentials,
    rate: Number(values.rate),
    apiPort: Number(values['api-port']),
    providersPort: Number(values['providers-port']),
    viralAfterMs: Number(values['viral-after']) * 1000,
    viralDurationMs: Number(values['viral-duration']) * 1000,
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    onError: (n, status, error) => console.error(`webhook ${n.kind} → ${status} ${error ?? ''}`),
  });
  console.log(`Simulating TikTok Shop traffic to ${urls.join(', ')} at ${values.rate} orders/s`);
  console.log(`Mock TikTok Shop Open API at ${sim.apiUrl} (TIKTOK_API_URL of the hosts)`);
  console.log(`Fake payment and shipping providers at ${sim.providersUrl} (PROVIDERS_URL; GET /ledger)`);
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
