/**
 * The Express host: webhook receivers, realtime endpoints (SSE and
 * WebSocket), the manual conflict queue, the schedules' admin routes,
 * `GET /healthz` and the dashboard, on one `http.Server`.
 */
import express from 'express';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { expressAdapter } from '@creatorflow/sync/http';
import { COMMERCE_WEBHOOK_PATHS } from '@creatorflow/sync/commerce';
import {
  WEBSOCKET_SERVER_OPTIONS,
  attachWebSocketServer,
  createSseHandler,
  parseAllowedOrigins,
} from '@creatorflow/sync';
import { loadDashboardAssets } from '../dashboard/assets.js';
import { CONFLICT_QUEUE_PREFIX, createHost, SCHEDULES_PATH } from '../shared/host.js';
import { accessLogEnabled, describeError, logRequest } from '../shared/host-log.js';
import {
  ConnectionTracker,
  resolveHostname,
  resolvePort,
  serverUrl,
  type RunningHost,
  type StartHostOptions,
} from '../shared/running-host.js';

/**
 * Start the Express host.
 *
 * @example
 * ```ts
 * const running = await startExpressHost({ port: 3000 });
 * console.log(running.url);
 * ```
 */
export async function startExpressHost(options: StartHostOptions = {}): Promise<RunningHost> {
  const host = await createHost(options);
  const assets = await loadDashboardAssets();
  const tracker = new ConnectionTracker();
  const authorize = host.authorize.bind(host);
  // Pages of this host are always allowed; ALLOWED_ORIGINS (comma-separated) adds others.
  const allowedOrigins = parseAllowedOrigins(process.env.ALLOWED_ORIGINS);
  const sse = createSseHandler(host.engine.hub, { authorize, allowedOrigins });

  const app = express();
  app.disable('x-powered-by');
  if (accessLogEnabled()) {
    app.use((req, res, next) => {
      logRequest(host.log, req, res);
      next();
    });
  }
  // Webhooks first, with no body parser in front: signatures need the raw bytes.
  const ingest = expressAdapter(host.ingest);
  app.post(COMMERCE_WEBHOOK_PATHS.tiktok, ingest);
  app.post(COMMERCE_WEBHOOK_PATHS.shipping, ingest);
  // The manual conflict queue (its own router: 404/405 as problem details; roles checked per route).
  app.use(CONFLICT_QUEUE_PREFIX, expressAdapter(host.conflictQueue));
  // The schedules: list, history, run now (admins only).
  app.use(SCHEDULES_PATH, expressAdapter(host.schedules));
  app.get('/realtime/sse', (req, res) => {
    // The page and the realtime routes give a browser its anonymous identity (open access).
    host.identifyBrowser(req, res);
    tracker.add(req.socket);
    void sse(req, res);
  });
  // Acknowledging an alert: admins (or a service key), problem+json refusals.
  app.post('/alerts/:fingerprint/acknowledge', expressAdapter(host.alerts));
  app.get('/metrics', (_req, res) => {
    void host.metrics().then(({ contentType, body }) => res.type(contentType).send(body));
  });
  app.get('/healthz', (_req, res) => {
    void host.healthz().then(({ status, body }) => res.status(status).json(body));
  });
  app.get(['/', '/dashboard/:file'], (req, res, next) => {
    const asset = assets.get(req.path);
    if (!asset) return next();
    if (req.path === '/') host.identifyBrowser(req, res);
    res.type(asset.contentType).set('cache-control', 'no-cache').send(asset.body);
  });

  const server = createServer(app);
  const wss = new WebSocketServer({ ...WEBSOCKET_SERVER_OPTIONS, server, path: '/realtime/ws' });
  wss.on('headers', (headers, request) => host.identifyUpgrade(headers, request));
  wss.on('connection', (socket, request) => {
    // A malformed frame makes ws emit 'error' on the socket (then it closes it);
    // without a listener that error would end the process.
    socket.on('error', (err) => host.log.warn(`websocket: ${describeError(err)}`));
    tracker.add(request.socket);
  });
  wss.on('error', (err) => host.log.error(`websocket server: ${describeError(err)}`));
  attachWebSocketServer(host.engine.hub, wss, { authorize, allowedOrigins });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolvePort(options.port), resolveHostname(options.hostname), () => resolve());
  });

  return {
    url: serverUrl(server),
    host,
    server,
    dropRealtimeConnections: () => tracker.dropAll(),
    async close() {
      tracker.dropAll();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
    },
  };
}
