/**
 * One host process of a chaos run: the Express or Fastify example host
 * (`HOST_FRAMEWORK`, default express), configured by
 * the environment the hosts are to read (DATABASE_URL, REDIS_URL, PORT, HOST,
 * HOST_ID, DB_SCHEMA, TIKTOK_API_URL, PROVIDERS_URL). It fills what the
 * example's own entry point does not do yet — bind `HOST` (default
 * 127.0.0.1), the remote providers, and print `listening <url>` when ready —
 * and adds nothing else: no error handler the example lacks, so a host that
 * would die in production dies here too.
 */
import { startExpressHost } from '../../examples/express-host/app.js';
import { startFastifyHost } from '../../examples/fastify-host/app.js';
import { useRemoteProviders } from './remote-providers.js';

if (process.env.PROVIDERS_URL) useRemoteProviders(process.env.PROVIDERS_URL);
const start = process.env.HOST_FRAMEWORK === 'fastify' ? startFastifyHost : startExpressHost;
const running = await start({ hostname: process.env.HOST ?? '127.0.0.1' });
console.log(`listening ${running.url}`);
process.once('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
