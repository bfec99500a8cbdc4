/**
 * `npm run example:minimal`: the README's quickstart — an event store on
 * embedded PGlite, one projection, one realtime channel over SSE on
 * `node:http`. Try: `curl -XPOST localhost:3002/visits/home`, then
 * `curl -N 'localhost:3002/sse?channel=page_visits' -H 'x-user: me'`.
 */
import { createServer } from 'node:http';
import {
  createSseHandler,
  createSyncEngine,
  defineEvents,
  defineProjection,
  type CatalogEvent,
} from '@creatorflow/sync';
import { fromPglite, openPglite } from '@creatorflow/sync/pglite';
import { z } from 'zod';

const events = defineEvents({ 'page.visited': z.object({ page: z.string().min(1) }) });

const pageVisits = defineProjection<
  { page: string; tenant: string; visits: number },
  CatalogEvent<typeof events>
>({
  name: 'page_visits',
  key: ['page'],
  migrations: ['CREATE TABLE :TABLE: (page text PRIMARY KEY, tenant text NOT NULL, visits int NOT NULL)'],
  handlers: {
    'page.visited': {
      key: (e) => ({ page: e.data.page }),
      apply: (row) => ({ tenant: 'public', visits: (row?.visits ?? 0) + 1 }),
    },
  },
  channel: { tenantColumn: 'tenant', throttleMs: 100 }, // streamed as channel 'page_visits'
});

const db = await openPglite();
const engine = createSyncEngine({
  sql: fromPglite(db),
  store: { events },
  projections: [pageVisits],
});
await engine.start();

const sse = createSseHandler(engine.hub, {
  authorize: (req) => ({ userId: String(req.headers['x-user'] ?? 'anonymous'), tenantIds: ['public'] }),
});
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/sse') return void sse(req, res);
  const [, resource, page] = url.pathname.split('/');
  if (req.method === 'POST' && resource === 'visits' && page) {
    void engine.store.append(`page-${page}`, [{ type: 'page.visited', data: { page } }]).then(
      (r) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
      (err: Error) => res.writeHead(400).end(err.message),
    );
    return;
  }
  res.writeHead(404).end();
});
const port = Number(process.env.PORT ?? 3002);
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.once(
  'SIGINT',
  () =>
    void engine
      .close()
      .then(() => db.close())
      .then(() => process.exit(0)),
);
