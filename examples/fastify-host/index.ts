/**
 * `tsx examples/fastify-host/index.ts` — the Fastify host on its own (pair it
 * with `tsx examples/simulator/index.ts`). Environment: PORT, DATABASE_URL,
 * REDIS_URL, TIKTOK_API_URL, PGLITE_DIR.
 */
import { startFastifyHost } from './app.js';

const running = await startFastifyHost();
console.log(
  `Fastify host on ${running.url} (${running.host.backends.database}${running.host.backends.redis ? ' + redis' : ''})`,
);
const stop = async () => {
  await running.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
