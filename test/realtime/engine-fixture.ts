/**
 * A small engine for the realtime integration tests: one async projection
 * (`rt_stock`: quantity per creator and sku) served as one channel, with
 * SSE and WebSocket endpoints on a `node:http` server.
 */
import { type Server, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { SqlClient } from '../../src/core/sql-client.js';
import { type SyncEngine, createSyncEngine } from '../../src/engine.js';
import { defineProjection } from '../../src/processing/index.js';
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import type { PubSub } from '../../src/realtime/pubsub.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { WEBSOCKET_SERVER_OPTIONS, attachWebSocketServer } from '../../src/realtime/websocket.js';
import type { StoredEvent } from '../../src/store/types.js';

/** The channel of the `rt_stock` read model. */
export const STOCK_CHANNELS: readonly ChannelDefinition[] = [
  {
    name: 'rt_stock',
    keyColumns: ['creator_id', 'sku'],
    tenantColumn: 'creator_id',
    filterableColumns: ['quantity'],
    throttleMs: 0,
  },
];

interface StockSet extends Record<string, unknown> {
  creator_id: string;
  sku: string;
  quantity: number;
}

const stock = defineProjection<StockSet>({
  name: 'rt_stock',
  key: ['creator_id', 'sku'],
  migrations: [
    `CREATE TABLE :TABLE: (creator_id text NOT NULL, sku text NOT NULL, quantity int NOT NULL,
       PRIMARY KEY (creator_id, sku))`,
  ],
  handlers: {
    'stock.set': {
      key: (e: StoredEvent) => ({
        creator_id: (e.data as StockSet).creator_id,
        sku: (e.data as StockSet).sku,
      }),
      apply: (_row, e: StoredEvent) => ({ quantity: (e.data as StockSet).quantity }),
    },
  },
});

/**
 * An engine on `sql`/`schema` serving `rt_stock`; `pubsub: null` keeps deltas
 * in-process, `undefined` takes the engine's default (LISTEN/NOTIFY on PostgreSQL).
 */
export function stockEngine(sql: SqlClient, schema: string, pubsub: PubSub | null | undefined): SyncEngine {
  return createSyncEngine({
    sql,
    schema,
    store: { pollIntervalMs: 100 },
    projections: [stock],
    channels: STOCK_CHANNELS,
    ...(pubsub === undefined ? {} : { pubsub }),
    realtime: { windowMs: 10, heartbeatMs: 0 },
  });
}

/** Set a quantity (one event, its own stream per sku). */
export async function setStock(engine: SyncEngine, creatorId: string, sku: string, quantity: number) {
  await engine.store.append(`stock-${creatorId}-${sku}`, [
    { type: 'stock.set', data: { creator_id: creatorId, sku, quantity } },
  ]);
}

/** The read model's rows of one creator, as a client table holds them. */
export async function stockRows(sql: SqlClient, schema: string, creatorId: string) {
  const { rows } = await sql.query<{ creator_id: string; sku: string; quantity: number }>(
    `SELECT creator_id, sku, quantity FROM "${schema}".rt_stock WHERE creator_id = $1 ORDER BY sku`,
    [creatorId],
  );
  return rows;
}

/** An http server with `/sse` and `/ws` on an engine's hub; every user sees creator `c1`. */
export async function serveRealtime(engine: SyncEngine, port = 0) {
  const authorize = () => ({ userId: 'u1', tenantIds: ['c1'] });
  const sse = createSseHandler(engine.hub, { authorize });
  const server: Server = createServer((req, res) => void sse(req, res));
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/ws' });
  attachWebSocketServer(engine.hub, wss, { authorize });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  return {
    port: bound,
    url: (transport: 'sse' | 'websocket') =>
      transport === 'sse' ? `http://127.0.0.1:${bound}/sse` : `ws://127.0.0.1:${bound}/ws`,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves when `check()` holds (polling); the test's own timeout bounds it. */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}
