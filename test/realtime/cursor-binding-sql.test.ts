/**
 * Cursor binding end to end on a real engine (PGlite and PostgreSQL): a
 * client that resumes with another filter gets a reset with exactly the read
 * model's rows; one that resumes its own subscription gets no snapshot.
 */
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type RealtimeClient, connectRealtime } from '../../src/client/realtime-client.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { SyncEngine } from '../../src/engine.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { serveRealtime, setStock, stockEngine, stockRows, until } from './engine-fixture.js';

const bySku = (rows: readonly Record<string, unknown>[]) =>
  [...rows].sort((a, b) => String(a.sku).localeCompare(String(b.sku)));

describe.each(sqlEngines)('resume cursors bound to their subscription, on $name', (db) => {
  let database: TestDatabase;
  let engine: SyncEngine;
  let server: Awaited<ReturnType<typeof serveRealtime>>;
  const clients: RealtimeClient[] = [];
  beforeEach(async () => {
    if (!db.available) return;
    database = await db.open();
    engine = stockEngine(database.sql, database.schema, undefined);
    await engine.start();
    server = await serveRealtime(engine);
  });
  afterEach(async () => {
    if (!db.available) return;
    for (const c of clients.splice(0)) c.close();
    await server.close();
    await engine.close();
    await database.close();
  });

  /** A client up to its first `ready`, and every envelope it got. */
  async function open(transport: 'sse' | 'websocket', rowFilter: string, cursor: string | null) {
    const client = connectRealtime({
      url: server.url(transport),
      channel: 'rt_stock',
      filter: rowFilter,
      cursor,
      ...(transport === 'websocket' ? { WebSocket: WebSocket as never } : {}),
    });
    clients.push(client);
    const seen: Envelope[] = [];
    client.messages$.subscribe((e) => seen.push(e));
    await firstValueFrom(client.messages$.pipe(filter((e) => e.type === 'ready')));
    return { client, seen };
  }

  for (const transport of ['sse', 'websocket'] as const) {
    it.skipIf(!db.available)(
      `${transport}: another filter with the cursor gets exactly the rows of its filter`,
      async () => {
        for (const [sku, quantity] of [
          ['A', 1],
          ['B', 50],
          ['C', 60],
        ] as const)
          await setStock(engine, 'c1', sku, quantity);
        await engine.whenCaughtUp();
        const low = await open(transport, 'quantity=lt.10', null);
        const cursor = low.client.cursor!;
        low.client.close();
        // A change only the first filter sees, after the cursor.
        await setStock(engine, 'c1', 'A', 2);
        await engine.whenCaughtUp();
        const high = await open(transport, 'quantity=gte.10', cursor);
        const want = (await stockRows(database.sql, database.schema, 'c1')).filter((r) => r.quantity >= 10);
        // Before the fix: resumed without a snapshot, and B and C never arrived.
        expect(high.seen.filter((e) => e.type === 'reset')).toHaveLength(1);
        expect(bySku(high.client.table.rows())).toEqual(bySku(want));
        expect(want).toHaveLength(2);

        // The same subscription resumes from its own cursor without a snapshot.
        const same = high.client.cursor!;
        high.client.close();
        await setStock(engine, 'c1', 'B', 70);
        await engine.whenCaughtUp();
        const again = await open(transport, 'quantity=gte.10', same);
        // (A new client's table starts empty, so look at the deltas, not the table.)
        await until(() =>
          again.seen.some(
            (e) =>
              e.type === 'data' &&
              e.deltas?.some(([, key, fields]) => key.sku === 'B' && fields.quantity === 70),
          ),
        );
        expect(again.seen.filter((e) => e.type === 'reset')).toHaveLength(0);
      },
    );
  }
});
