/**
 * One host process of a chaos run: the Express or Fastify example host
 * (`HOST_FRAMEWORK`, default express), configured by
 * the environment the hosts read (DATABASE_URL, REDIS_URL, PORT, HOST,
 * HOST_ID, DB_SCHEMA, TIKTOK_API_URL, PROVIDERS_URL: the hosts' provider
 * clients call the run's shared fake providers). It binds `HOST` (default
 * 127.0.0.1) and prints `listening <url>` when ready, and adds nothing else: no error handler the example lacks, so a host that
 * would die in production dies here too.
 */
import { startExpressHost } from '../../examples/express-host/app.js';
import { startFastifyHost } from '../../examples/fastify-host/app.js';

const start = process.env.HOST_FRAMEWORK === 'fastify' ? startFastifyHost : startExpressHost;
const running = await start({ hostname: process.env.HOST ?? '127.0.0.1' });
console.log(`listening ${running.url}`);
process.once('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
