/**
 * `tsx examples/express-host/index.ts` — the Express host on its own (pair it
 * with `tsx examples/simulator/index.ts`). Environment: PORT, DATABASE_URL,
 * REDIS_URL, TIKTOK_API_URL, PGLITE_DIR.
 */
import { startExpressHost } from './app.js';

const running = await startExpressHost();
console.log(
  `Express host on ${running.url} (${running.host.backends.database}${running.host.backends.redis ? ' + redis' : ''})`,
);
const stop = async () => {
  await running.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
