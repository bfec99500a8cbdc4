/**
 * Roles through the engine's hub on PGlite and PostgreSQL, over SSE with
 * service API keys as the identities: a key scoped to one creator receives
 * only that creator's rows (snapshot and deltas) even with a filter naming
 * another; a key holding the admin role receives every creator's, and its
 * subscription is written once to the engine's `access_audit` table with the
 * channel and the filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceKeys } from '../../src/access/index.js';
import { connectRealtime, type RealtimeClient } from '../../src/client/index.js';
import type { SyncEngine } from '../../src/engine.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { createServer, type Server } from 'node:http';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { setStock, stockEngine, until } from './engine-fixture.js';

describe.each(sqlEngines)('realtime roles through the engine ($name)', (backend) => {
  let db: TestDatabase;
  let engine: SyncEngine;
  let server: Server;
  let url = '';
  const keys = { creator: '', admin: '' };
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    if (!backend.available) return;
    db = await backend.open();
    engine = stockEngine(db.sql, db.schema, null);
    await engine.start();
    const serviceKeys = new ServiceKeys({ sql: db.sql, schema: db.schema });
    await serviceKeys.migrate();
    keys.creator = (await serviceKeys.issue({ name: 'c1-sync', tenantIds: ['c1'] })).key;
    keys.admin = (
      await serviceKeys.issue({ name: 'ops', tenantIds: ['c1'], roles: ['service', 'admin'] })
    ).key;
    const authorize = async (req: { headers: Record<string, unknown> }) => {
      const auth = await serviceKeys.verify(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!auth) throw new Error('Unknown key');
      return auth;
    };
    const sse = createSseHandler(engine.hub, { authorize });
    server = createServer((req, res) => void sse(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/sse`;
    await setStock(engine, 'c1', 'A', 1);
    await setStock(engine, 'c2', 'A', 2);
    await engine.whenCaughtUp();
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await new Promise((resolve) => server?.close(resolve));
    await engine?.close();
    await db?.close();
  });

  const subscribe = (key: string, filter?: string) => {
    const client = connectRealtime({
      url,
      channel: 'rt_stock',
      throttleMs: 0,
      headers: { authorization: `Bearer ${key}` },
      ...(filter ? { filter } : {}),
    });
    clients.push(client);
    return client;
  };
  const creatorsOf = (client: RealtimeClient) =>
    client.table
      .rows()
      .map((r) => `${String(r.creator_id)}:${String(r.quantity)}`)
      .sort();

  it.skipIf(!backend.available)(
    'scopes a service key to its creators and lets an admin key see all, audited once',
    async () => {
      const audited = (await engine.accessAudit.list()).length;
      const scoped = subscribe(keys.creator, 'creator_id=in.(c1,c2)');
      const admin = subscribe(keys.admin, 'quantity=gte.1');
      await until(() => creatorsOf(scoped).length === 1 && creatorsOf(admin).length === 2);
      await setStock(engine, 'c2', 'B', 5);
      await setStock(engine, 'c1', 'B', 6);
      await until(() => creatorsOf(admin).length === 4 && creatorsOf(scoped).length === 2);
      expect(creatorsOf(scoped)).toEqual(['c1:1', 'c1:6']);
      expect(creatorsOf(admin)).toEqual(['c1:1', 'c1:6', 'c2:2', 'c2:5']);
      const entries = (await engine.accessAudit.list()).slice(0, -audited || undefined);
      expect(entries).toEqual([
        expect.objectContaining({
          userId: 'service:ops',
          roles: ['service', 'admin'],
          action: 'realtime.subscribe',
          resource: 'rt_stock',
          tenantIds: null,
          detail: 'quantity=gte.1',
        }),
      ]);
    },
    60_000,
  );
});
