/**
 * The Fastify host: the same routes as the Express host — webhook receivers
 * (an encapsulated raw-body plugin), realtime endpoints (SSE through
 * `reply.hijack()`, WebSocket through `@fastify/websocket`), the manual
 * conflict queue, `GET /healthz` and the dashboard.
 */
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { fastifyAdapter } from '@creatorflow/sync/http';
import { COMMERCE_WEBHOOK_PATHS } from '@creatorflow/sync/commerce';
import {
  WEBSOCKET_SERVER_OPTIONS,
  createSseHandler,
  handleWebSocket,
  parseAllowedOrigins,
} from '@creatorflow/sync';
import { loadDashboardAssets } from '../dashboard/assets.js';
import { CONFLICT_QUEUE_PREFIX, createHost, SCHEDULES_PATH } from '../shared/host.js';
import { accessLogEnabled, logRequest } from '../shared/host-log.js';
import {
  ConnectionTracker,
  resolveHostname,
  resolvePort,
  serverUrl,
  type RunningHost,
  type StartHostOptions,
} from '../shared/running-host.js';

/**
 * Start the Fastify host.
 *
 * @example
 * ```ts
 * const running = await startFastifyHost({ port: 3001 });
 * console.log(running.url);
 * ```
 */
export async function startFastifyHost(options: StartHostOptions = {}): Promise<RunningHost> {
  const host = await createHost(options);
  const assets = await loadDashboardAssets();
  const tracker = new ConnectionTracker();
  const authorize = host.authorize.bind(host);
  const hub = host.engine.hub;
  // Pages of this host are always allowed; ALLOWED_ORIGINS (comma-separated) adds others.
  const allowedOrigins = parseAllowedOrigins(process.env.ALLOWED_ORIGINS);
  const sse = createSseHandler(hub, { authorize, allowedOrigins });

  const app = Fastify({ logger: false, forceCloseConnections: true });
  if (accessLogEnabled()) {
    app.addHook('onRequest', (req, reply, done) => {
      logRequest(host.log, req.raw, reply.raw);
      done();
    });
  }
  await app.register(fastifyWebsocket, { options: { ...WEBSOCKET_SERVER_OPTIONS } });
  app.websocketServer.on('headers', (headers: string[], request: IncomingMessage) =>
    host.identifyUpgrade(headers, request),
  );
  // Registered without fastify-plugin: its raw-body parser stays inside this plugin.
  await app.register(
    fastifyAdapter(host.ingest, { url: [COMMERCE_WEBHOOK_PATHS.tiktok, COMMERCE_WEBHOOK_PATHS.shipping] }),
  );
  // The manual conflict queue and other sources' reports: one handler (its own router checks roles per route).
  await app.register(
    fastifyAdapter(host.conflictQueue, {
      url: [
        '/pending',
        '/pending/:entityType',
        '/report',
        '/:conflictId/decision',
        '/reports/stock',
        '/reports/order',
      ].map((path) => `${CONFLICT_QUEUE_PREFIX}${path}`),
      method: ['GET', 'POST'],
    }),
  );
  // The schedules: list, history, run now (admins only). Reads and the
  // trigger are registered apart: a route's body limit is its first method's.
  await app.register(
    fastifyAdapter(host.schedules, {
      url: [SCHEDULES_PATH, `${SCHEDULES_PATH}/:name/runs`, `${SCHEDULES_PATH}/:name/runs/:runId`],
      method: 'GET',
    }),
  );
  await app.register(fastifyAdapter(host.schedules, { url: `${SCHEDULES_PATH}/:name/runs`, method: 'POST' }));
  app.get('/realtime/sse', (req, reply) => {
    // The page and the realtime routes give a browser its anonymous identity (open access).
    host.identifyBrowser(req.raw, reply.raw);
    reply.hijack();
    tracker.add(req.raw.socket);
    return sse(req.raw, reply.raw);
  });
  app.get('/realtime/ws', { websocket: true }, (socket, req) => {
    tracker.add(req.raw.socket);
    void handleWebSocket(hub, socket, req.raw, { authorize, allowedOrigins });
  });
  // Acknowledging an alert: admins (or a service key), problem+json refusals.
  await app.register(
    fastifyAdapter(host.alerts, { url: '/alerts/:fingerprint/acknowledge', method: 'POST' }),
  );
  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await host.metrics();
    return reply.type(contentType).send(body);
  });
  app.get('/healthz', async (_req, reply) => {
    const { status, body } = await host.healthz();
    return reply.code(status).send(body);
  });
  const serveAsset = async (path: string, reply: FastifyReply) => {
    const asset = assets.get(path);
    if (!asset) return reply.code(404).send({ error: 'Not found' });
    return reply.type(asset.contentType).header('cache-control', 'no-cache').send(asset.body);
  };
  app.get('/', (req, reply) => {
    host.identifyBrowser(req.raw, reply.raw);
    return serveAsset('/', reply);
  });
  app.get<{ Params: { file: string } }>('/dashboard/:file', (req, reply) =>
    serveAsset(`/dashboard/${req.params.file}`, reply),
  );

  await app.listen({ port: resolvePort(options.port), host: resolveHostname(options.hostname) });

  return {
    url: serverUrl(app.server),
    host,
    server: app.server,
    dropRealtimeConnections: () => tracker.dropAll(),
    async close() {
      tracker.dropAll();
      for (const client of app.websocketServer.clients) client.terminate();
      await app.close();
      await host.close();
    },
  };
}
