import type { Server } from 'node:http';
import fastifyWebsocket from '@fastify/websocket';
import express from 'express';
import Fastify from 'fastify';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { connectMultiplexed } from '../../src/client/multiplex-client.js';
import { connectRealtime } from '../../src/client/realtime-client.js';
import { type RealtimeHub, createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import {
  WEBSOCKET_SERVER_OPTIONS,
  attachWebSocketServer,
  handleWebSocket,
} from '../../src/realtime/websocket.js';
import { ORDER_METRICS } from './support.js';

const CHANNELS = ORDER_METRICS;
const authorize = () => ({ userId: 'u1', tenantIds: ['c1'] });

/** Connects over both transports and sees a live delta on each. */
async function streamsOverBoth(hub: RealtimeHub, model: MemoryReadModel, port: number): Promise<void> {
  for (const url of [`http://127.0.0.1:${port}/rt/sse`, `ws://127.0.0.1:${port}/rt/ws`]) {
    const client = connectRealtime({ url, channel: 'order_metrics', WebSocket: WebSocket as never });
    await firstValueFrom(client.messages$.pipe(filter((e) => e.type === 'ready')));
    const n = Math.random();
    model.upsert('order_metrics', { creator_id: 'c1', n });
    await firstValueFrom(
      client.messages$.pipe(filter((e) => e.type === 'data' && client.table.rows()[0]?.n === n)),
    );
    expect(client.table.rows()).toEqual([{ creator_id: 'c1', n }]);
    client.close();
    // The same route, multiplexed (no `channel` in the URL).
    const connection = connectMultiplexed({ url, WebSocket: WebSocket as never });
    const sub = connection.subscribe({ channel: 'order_metrics' });
    await firstValueFrom(sub.messages$.pipe(filter((e) => e.type === 'ready')));
    const m = Math.random();
    model.upsert('order_metrics', { creator_id: 'c1', n: m });
    await firstValueFrom(sub.messages$.pipe(filter(() => sub.table.rows()[0]?.n === m)));
    expect(sub.table.rows()).toEqual([{ creator_id: 'c1', n: m }]);
    connection.close();
  }
  expect(hub.stats().subscriptions).toBeLessThanOrEqual(4);
}

function setup() {
  const model = new MemoryReadModel(CHANNELS);
  const hub = createRealtimeHub({
    channels: CHANNELS,
    changes: model.changes,
    snapshot: model.snapshot,
    windowMs: 10,
  });
  return { model, hub, sse: createSseHandler(hub, { authorize }) };
}

describe('host frameworks', () => {
  it('Express 5 with ws', async () => {
    const { model, hub, sse } = setup();
    const app = express();
    app.get('/rt/sse', (req, res) => void sse(req, res));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    attachWebSocketServer(hub, new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/rt/ws' }), {
      authorize,
    });
    try {
      await streamsOverBoth(hub, model, (server.address() as { port: number }).port);
    } finally {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('Fastify 5 with @fastify/websocket', async () => {
    const { model, hub, sse } = setup();
    const app = Fastify();
    await app.register(fastifyWebsocket, { options: WEBSOCKET_SERVER_OPTIONS });
    app.get('/rt/sse', (request, reply) => {
      reply.hijack();
      return sse(request.raw, reply.raw);
    });
    app.register(async (scope) => {
      scope.get('/rt/ws', { websocket: true }, (socket, request) => {
        void handleWebSocket(hub, socket, request.raw, { authorize });
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await streamsOverBoth(hub, model, (app.server.address() as { port: number }).port);
    } finally {
      await hub.close();
      app.server.closeAllConnections();
      await app.close();
    }
  });
});
