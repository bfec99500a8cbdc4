/**
 * `npm run bench -- realtime`:
 * - `realtime.fanout`: 1,000 users × 10 subscriptions (four channels, mixed
 *   filters) on one hub, 1,000 row changes/s for BENCH_SECONDS. Every message
 *   is framed as the SSE transport frames it and decoded as a client would;
 *   commit-to-client latency is measured per delta (a timestamp written into
 *   the row at commit). Channel throttles are 0 here so the 100 ms coalescing
 *   window is what is measured.
 * - `realtime.fanout_sse` / `realtime.fanout_sse_identity`: the same mix over
 *   1,000 real SSE connections (100 users × 10 subscriptions; server and fetch
 *   clients share the process), with gzip (what fetch negotiates) and without.
 * - `realtime.resume`: 100 SSE clients (the real client over fetch) on a real
 *   node:http server while 1,000 changes/s (half new rows, half updates) are
 *   written and a random client's TCP connection is cut every 20 ms; after a
 *   drain, counts lost and duplicated deltas and final-state mismatches.
 *
 * - `realtime.memory_per_user` / `realtime.memory_per_user_sse`: memory a
 *   dashboard user keeps alive (see support/realtime-memory-child.ts), each
 *   run in a fresh process, against the specification's 50 MB per user.
 *
 * Each case reports the median of BENCH_RUNS runs (default 3).
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRealtime } from '../src/client/realtime-client.js';
import type { Row } from '../src/core/row-change.js';
import type { ChannelDefinition } from '../src/realtime/channels.js';
import { decodeEnvelope } from '../src/core/envelope.js';
import { createRealtimeHub } from '../src/realtime/hub.js';
import { MemoryReadModel } from '../src/realtime/memory-read-model.js';
import { createSseHandler, formatSseFrame } from '../src/realtime/sse.js';
import { CHANNELS, SUBSCRIPTIONS, drive, randomChange } from './support/realtime-workload.js';
import { emit, latencySummary, median, nowMs, peakRssMb, round, prng } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = 1000;
const WINDOW_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fanoutRun(run: number) {
  const users = 1000;
  const random = prng(run + 1);
  const model = new MemoryReadModel(CHANNELS);
  const hub = createRealtimeHub({
    channels: CHANNELS,
    changes: model.changes,
    snapshot: model.snapshot,
    windowMs: WINDOW_MS,
    heartbeatMs: 30_000,
  });
  // Seed a few rows per creator so snapshots are not empty.
  for (let u = 0; u < users; u++) randomChange(model, random, `c${u}`, u);
  const latencies: number[] = [];
  let measuring = false;
  let messages = 0;
  let bytes = 0;
  const handles = [];
  for (let u = 0; u < users; u++) {
    for (const sub of SUBSCRIPTIONS) {
      handles.push(
        hub.subscribe(
          { ...sub, throttleMs: 0 },
          { userId: `u${u}`, tenantIds: [`c${u}`] },
          {
            write(envelope) {
              // What the SSE transport does per message, then what a client does.
              const frame = formatSseFrame(envelope);
              bytes += frame.length;
              messages++;
              if (!measuring || envelope.type !== 'data') return true;
              const received = nowMs();
              const data = decodeEnvelope(frame.slice(frame.indexOf('data: ') + 6, -2));
              for (const [, , fields] of data.deltas ?? []) {
                if (typeof fields.t === 'number') latencies.push(received - fields.t);
              }
              return true;
            },
          },
        ),
      );
    }
  }
  await sleep(500);
  measuring = true;
  messages = 0;
  bytes = 0;
  const t0 = nowMs();
  const changes = await drive(RATE, SECONDS, (i) =>
    randomChange(model, random, `c${Math.floor(random() * users)}`, i),
  );
  const elapsed = (nowMs() - t0) / 1000;
  await sleep(WINDOW_MS * 2);
  const stats = hub.stats();
  for (const h of handles) h.close();
  await hub.close();
  return {
    ...latencySummary(latencies),
    changes_per_s: round(changes / elapsed, 1),
    deltas_per_s: round(latencies.length / elapsed, 1),
    messages_per_s: round(messages / elapsed, 1),
    mb_per_s: round(bytes / elapsed / 1024 / 1024, 3),
    subscriptions: stats.subscriptions,
    buffered_batches: stats.bufferedBatches,
  };
}

/** The fan-out case over real SSE connections: fewer users, every byte through node:http and fetch. */
async function fanoutSseRun(run: number, gzip: boolean) {
  const users = 100;
  const random = prng(500 + run);
  const model = new MemoryReadModel(CHANNELS);
  const hub = createRealtimeHub({
    channels: CHANNELS,
    changes: model.changes,
    snapshot: model.snapshot,
    windowMs: WINDOW_MS,
    heartbeatMs: 30_000,
  });
  for (let u = 0; u < users; u++) randomChange(model, random, `c${u}`, u);
  const sse = createSseHandler(hub, {
    compress: gzip,
    authorize: (req) => {
      const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
      return { userId: user, tenantIds: [`c${user.slice(1)}`] };
    },
  });
  const server = createServer((req, res) => void sse(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const latencies: number[] = [];
  let measuring = false;
  const clients = [];
  for (let u = 0; u < users; u++) {
    for (const sub of SUBSCRIPTIONS) {
      const client = connectRealtime({
        url: `http://127.0.0.1:${port}/sse?user=u${u}`,
        channel: sub.channel,
        ...(sub.filter ? { filter: sub.filter } : {}),
        throttleMs: 0,
      });
      client.messages$.subscribe((e) => {
        if (!measuring || e.type !== 'data') return;
        const received = nowMs();
        for (const [, , fields] of e.deltas ?? []) {
          if (typeof fields.t === 'number') latencies.push(received - fields.t);
        }
      });
      clients.push(client);
    }
  }
  await Promise.all(
    clients.map(
      (c) => new Promise<void>((resolve) => c.messages$.subscribe((e) => e.type === 'ready' && resolve())),
    ),
  );
  measuring = true;
  const t0 = nowMs();
  const changes = await drive(RATE, SECONDS, (i) =>
    randomChange(model, random, `c${Math.floor(random() * users)}`, i),
  );
  const elapsed = (nowMs() - t0) / 1000;
  await sleep(WINDOW_MS * 3);
  for (const c of clients) c.close();
  await hub.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return {
    ...latencySummary(latencies),
    changes_per_s: round(changes / elapsed, 1),
    deltas_per_s: round(latencies.length / elapsed, 1),
  };
}

async function resumeRun(run: number) {
  const clientsN = 100;
  const creators = 20;
  const random = prng(1000 + run);
  const channels: ChannelDefinition[] = [CHANNELS[3]!];
  const model = new MemoryReadModel(channels);
  const hub = createRealtimeHub({
    channels,
    changes: model.changes,
    snapshot: model.snapshot,
    windowMs: WINDOW_MS,
    heartbeatMs: 1000,
  });
  const sse = createSseHandler(hub, {
    authorize: (req) => {
      const creator = new URL(req.url ?? '/', 'http://x').searchParams.get('creator') ?? '';
      return { userId: `user-${creator}-${Math.random()}`, tenantIds: [creator] };
    },
  });
  const server = createServer((req, res) => void sse(req, res));
  const sockets: Socket[] = [];
  server.on('connection', (s) => {
    sockets.push(s);
    s.on('close', () => sockets.splice(sockets.indexOf(s), 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  // Per client: INSERT deltas per operation id (must be exactly one each, unless a reset delivered the row).
  const clients = Array.from({ length: clientsN }, (_, i) => {
    const creator = `c${i % creators}`;
    const client = connectRealtime({
      url: `http://127.0.0.1:${port}/sse?creator=${creator}`,
      channel: 'sync_operations',
      throttleMs: 0,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    const inserts = new Map<string, number>();
    let resetRows = 0;
    client.messages$.subscribe((e) => {
      if (e.type === 'reset') {
        resetRows += e.rows?.length ?? 0;
        for (const r of e.rows ?? [])
          if (!inserts.has(String(r.operation_id))) inserts.set(String(r.operation_id), 0);
      }
      for (const [op, key] of e.deltas ?? []) {
        if (op !== 'INSERT') continue;
        const id = String(key.operation_id);
        inserts.set(id, (inserts.get(id) ?? 0) + 1);
      }
    });
    return { creator, client, inserts, resetRows: () => resetRows };
  });
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => c.client.messages$.subscribe((e) => e.type === 'ready' && resolve())),
    ),
  );
  let cuts = 0;
  const cutter = setInterval(() => {
    const s = sockets[Math.floor(random() * sockets.length)];
    if (s) {
      s.destroy();
      cuts++;
    }
  }, 20);
  let nextOp = 0;
  const live: Row[] = [];
  await drive(RATE, SECONDS, () => {
    const creator = `c${Math.floor(random() * creators)}`;
    if (random() < 0.5 || live.length === 0) {
      const row = { creator_id: creator, operation_id: `op${nextOp++}`, status: 'pending', attempts: 0 };
      model.upsert('sync_operations', row);
      live.push(row);
    } else {
      const row = live[Math.floor(random() * live.length)]!;
      row.attempts = Number(row.attempts) + 1;
      row.status = random() < 0.5 ? 'done' : 'retrying';
      model.upsert('sync_operations', { ...row });
    }
  });
  clearInterval(cutter);
  // Drain: every client catches up with the final state (bounded wait).
  const truth = (creator: string) => model.rows('sync_operations').filter((r) => r.creator_id === creator);
  const deadline = nowMs() + 30_000;
  const caughtUp = () =>
    clients.every(
      (c) => c.client.table.rows().length === truth(c.creator).length && c.client.cursor === model.checkpoint,
    );
  while (!caughtUp() && nowMs() < deadline) await sleep(50);
  let lost = 0;
  let duplicated = 0;
  let mismatched = 0;
  let resets = 0;
  let reconnects = 0;
  for (const c of clients) {
    const rows = truth(c.creator);
    for (const r of rows) {
      const n = c.inserts.get(String(r.operation_id));
      if (n === undefined) lost++;
      else if (n > 1) duplicated += n - 1;
      const mine = c.client.table.get({ creator_id: r.creator_id, operation_id: r.operation_id });
      if (!mine || mine.status !== r.status || mine.attempts !== r.attempts) mismatched++;
    }
    duplicated += c.client.stats.duplicatesDropped;
    resets += c.client.stats.resets - 1; // the first snapshot is the initial load
    reconnects += c.client.stats.reconnects;
    c.client.close();
  }
  await hub.close();
  for (const s of [...sockets]) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  return {
    lost,
    duplicated,
    mismatched_rows: mismatched,
    cuts,
    reconnects,
    resets_after_start: resets,
    operations: nextOp,
    caught_up: caughtUp() ? 1 : 0,
  };
}

/** Median of runs by `key`, other figures from that run. */
async function medianRun<T extends Record<string, number>>(key: keyof T, fn: (run: number) => Promise<T>) {
  const results: T[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await fn(i));
  const m = median(results.map((r) => r[key] as number));
  return { ...results.find((r) => r[key] === m)!, runs: RUNS };
}

/** BENCH_CASES=fanout,fanout_sse,resume,memory selects cases (all by default). */
const CASES = (process.env.BENCH_CASES ?? 'fanout,fanout_sse,resume,memory').split(',');

export default async function main(): Promise<void> {
  if (CASES.includes('fanout')) await fanoutCase();
  if (CASES.includes('fanout_sse')) await fanoutSseCase();
  if (CASES.includes('resume')) await resumeCase();
  if (CASES.includes('memory')) await memoryCase();
}

async function fanoutCase(): Promise<void> {
  const fanout = await medianRun('p95_ms', fanoutRun);
  emit({
    name: 'realtime.fanout',
    users: 1000,
    subscriptions_per_user: 10,
    rate_per_s: RATE,
    window_ms: WINDOW_MS,
    seconds: SECONDS,
    ...fanout,
    peak_rss_mb: peakRssMb(),
  });
}

async function fanoutSseCase(): Promise<void> {
  // fetch asks for gzip, so the first variant is what a browser gets by default.
  for (const gzip of [true, false]) {
    const result = await medianRun('p95_ms', (run) => fanoutSseRun(run, gzip));
    emit({
      name: gzip ? 'realtime.fanout_sse' : 'realtime.fanout_sse_identity',
      users: 100,
      subscriptions_per_user: 10,
      connections: 1000,
      gzip,
      rate_per_s: RATE,
      window_ms: WINDOW_MS,
      seconds: SECONDS,
      ...result,
      peak_rss_mb: peakRssMb(),
    });
  }
}

async function resumeCase(): Promise<void> {
  const resume = await medianRun('lost', resumeRun);
  emit({
    name: 'realtime.resume',
    clients: 100,
    rate_per_s: RATE,
    window_ms: WINDOW_MS,
    seconds: SECONDS,
    ...resume,
    peak_rss_mb: peakRssMb(),
  });
}

type MemoryResult = {
  users: number;
  subscriptions: number;
  heap_mb_per_user: number;
  rss_mb_per_user: number;
  heap_mb_before: number;
  heap_mb_after: number;
};

const MEMORY_CHILD = join(dirname(fileURLToPath(import.meta.url)), 'support', 'realtime-memory-child.ts');

/** One memory run in a fresh process; for `sse`, this process opens the clients. */
async function memoryRun(mode: 'hub' | 'sse', users: number): Promise<MemoryResult> {
  const child = fork(MEMORY_CHILD, [mode, String(users)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const clients: { close(): void }[] = [];
  try {
    return await new Promise<MemoryResult>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`memory child exited with ${code}`)));
      child.on('message', (message: { type: string; port?: number; result?: MemoryResult }) => {
        if (message.type === 'result') resolve(message.result!);
        if (message.type !== 'listening') return;
        const ready: Promise<void>[] = [];
        for (let u = 0; u < users; u++) {
          for (const sub of SUBSCRIPTIONS) {
            const client = connectRealtime({
              url: `http://127.0.0.1:${message.port}/sse?user=u${u}`,
              channel: sub.channel,
              ...(sub.filter ? { filter: sub.filter } : {}),
              throttleMs: 0,
            });
            clients.push(client);
            ready.push(new Promise((r) => client.messages$.subscribe((e) => e.type === 'ready' && r())));
          }
        }
        void Promise.all(ready).then(() => child.send({ type: 'measure' }));
      });
    });
  } finally {
    for (const c of clients) c.close();
    child.kill();
  }
}

async function memoryCase(): Promise<void> {
  for (const [mode, users] of [
    ['hub', 1000],
    ['sse', 100],
  ] as const) {
    const runs: MemoryResult[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await memoryRun(mode, users));
    const byHeap = [...runs].sort((a, b) => a.heap_mb_per_user - b.heap_mb_per_user);
    const mid = byHeap[Math.floor(byHeap.length / 2)]!;
    emit({
      name: mode === 'hub' ? 'realtime.memory_per_user' : 'realtime.memory_per_user_sse',
      users: mid.users,
      subscriptions_per_user: 10,
      connections: mode === 'sse' ? users * 10 : 0,
      heap_mb_per_user: round(mid.heap_mb_per_user, 4),
      rss_mb_per_user: round(median(runs.map((r) => r.rss_mb_per_user)), 4),
      runs_heap_mb_per_user: runs.map((r) => round(r.heap_mb_per_user, 4)),
      spec_mb_per_user: 50,
      runs: RUNS,
      note: 'heap+external and RSS after GC with all subscriptions open, minus before, fresh process per run',
    });
  }
}
