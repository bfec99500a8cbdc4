/**
 * Memory a dashboard user keeps alive on the server, measured in a fresh
 * process (so no run reuses another's freed heap) with `--expose-gc`.
 *
 * The hub is warmed with traffic before the first reading, so the bounded
 * replay buffer and the read model are already at steady state; then the
 * users subscribe, the same traffic runs again, and the second reading is
 * taken after a full GC. Both readings are heap and RSS after GC.
 *
 * Modes (argv[2]):
 * - `hub`: USERS × 10 in-process subscriptions, every message framed as SSE.
 * - `sse`: the same over real SSE connections to a node:http server in this
 *   process; the clients run in the parent (IPC: `listening` → `measure`).
 */
import { createServer } from 'node:http';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { createSseHandler, formatSseFrame } from '../../src/realtime/sse.js';
import { CHANNELS, SUBSCRIPTIONS, drive, randomChange } from './realtime-workload.js';
import { prng } from './stats.js';

const mode = process.argv[2] ?? 'hub';
const users = Number(process.argv[3] ?? 1000);
const RATE = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reading(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
}

const random = prng(7);
const model = new MemoryReadModel(CHANNELS);
const hub = createRealtimeHub({
  channels: CHANNELS,
  changes: model.changes,
  snapshot: model.snapshot,
  windowMs: 100,
  heartbeatMs: 30_000,
});
for (let u = 0; u < users; u++) randomChange(model, random, `c${u}`, u);
const traffic = () =>
  drive(RATE, 2, (i) => randomChange(model, random, `c${Math.floor(random() * users)}`, i));

await traffic();
await sleep(300);
const before = reading();

if (mode === 'hub') {
  const handles = [];
  for (let u = 0; u < users; u++) {
    for (const sub of SUBSCRIPTIONS) {
      handles.push(
        hub.subscribe(
          { ...sub, throttleMs: 0 },
          { userId: `u${u}`, tenantIds: [`c${u}`] },
          { write: (envelope) => formatSseFrame(envelope).length > 0 },
        ),
      );
    }
  }
  await traffic();
  await sleep(300);
  report(before, reading(), handles.length);
  for (const h of handles) h.close();
  await hub.close();
  process.exit(0);
} else {
  const sse = createSseHandler(hub, {
    authorize: (req) => {
      const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
      return { userId: user, tenantIds: [`c${user.slice(1)}`] };
    },
  });
  const server = createServer((req, res) => void sse(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.({ type: 'listening', port: (server.address() as { port: number }).port });
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'measure') return;
    void (async () => {
      await traffic();
      await sleep(300);
      report(before, reading(), hub.stats().subscriptions);
      server.closeAllConnections();
      process.exit(0);
    })();
  });
}

function report(
  b: { heap: number; rss: number },
  a: { heap: number; rss: number },
  subscriptions: number,
): void {
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const result = {
    users,
    subscriptions,
    heap_mb_per_user: mb(a.heap - b.heap) / users,
    rss_mb_per_user: mb(Math.max(0, a.rss - b.rss)) / users,
    heap_mb_before: mb(b.heap),
    heap_mb_after: mb(a.heap),
  };
  if (process.send) process.send({ type: 'result', result });
  else process.stdout.write(`${JSON.stringify(result)}\n`);
}
