import { PGlite } from '@electric-sql/pglite';
import { firstValueFrom, filter } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { fromPglite } from '../../src/adapters/pglite.js';
import { connectRealtime } from '../../src/client/realtime-client.js';
import type { Envelope } from '../../src/core/envelope.js';
import { compareCheckpoints } from '../../src/core/checkpoint.js';
import { resumeCursorCheckpoint } from '../../src/core/resume-cursor.js';
import { serveRealtime, setStock, stockEngine, stockRows, until } from './engine-fixture.js';

const sortBySku = (rows: Record<string, unknown>[]) =>
  [...rows].sort((a, b) => String(a.sku).localeCompare(String(b.sku)));

// One initdb, then every database starts from its copy: a restart on a fresh database, quickly.
let fresh: File | Blob;
const freshDatabase = () => PGlite.create({ loadDataDir: fresh });
beforeAll(async () => {
  const template = await PGlite.create();
  fresh = await template.dumpDataDir('none');
  await template.close();
}, 180_000); // an initdb takes a minute on a loaded 2-core machine

describe.each(['sse', 'websocket'] as const)(
  'a %s client across a host restart on a fresh database',
  (transport) => {
    it('holds a cursor from the previous database, gets a reset and converges to exactly the new rows', async () => {
      const schema = 'rt_restart';
      // Host 1 on its own PGlite.
      const db1 = await freshDatabase();
      const engine1 = stockEngine(fromPglite(db1), schema, null);
      await engine1.start();
      const server1 = await serveRealtime(engine1);
      for (let i = 0; i < 12; i++) await setStock(engine1, 'c1', `OLD${i % 6}`, i);
      await engine1.whenCaughtUp();
      const client = connectRealtime({
        url: server1.url(transport),
        channel: 'rt_stock',
        backoff: { initialMs: 10, maxMs: 50 },
        ...(transport === 'websocket' ? { WebSocket: WebSocket as never } : {}),
      });
      const seen: Envelope[] = [];
      client.messages$.subscribe((e) => seen.push(e));
      await firstValueFrom(client.messages$.pipe(filter((e) => e.type === 'ready')));
      await setStock(engine1, 'c1', 'OLD0', 100);
      await until(() => client.table.get({ creator_id: 'c1', sku: 'OLD0' })?.quantity === 100);
      const oldCursor = client.cursor!;

      // The host restarts on a fresh database on the same port.
      await server1.close();
      await engine1.close();
      await db1.close();
      const db2 = await freshDatabase();
      const sql2 = fromPglite(db2);
      const engine2 = stockEngine(sql2, schema, null);
      await engine2.start();
      for (let i = 0; i < 3; i++) await setStock(engine2, 'c1', `NEW${i}`, i);
      await engine2.whenCaughtUp();
      expect(await stockRows(sql2, schema, 'c1')).toHaveLength(3);
      // Another dashboard is already live here, so the hub's replay buffer has a floor.
      const other: Envelope[] = [];
      const otherSub = engine2.hub
        .messages({ channel: 'rt_stock' }, { userId: 'u2', tenantIds: ['c1'] })
        .subscribe((e) => other.push(e));
      await until(() => other.some((e) => e.type === 'ready'));
      const server2 = await serveRealtime(engine2, server1.port);
      try {
        const readyBefore = seen.filter((e) => e.type === 'ready').length;
        await until(() => seen.filter((e) => e.type === 'ready').length > readyBefore);
        const reset = seen.findLast((e) => e.type === 'reset')!;
        expect(
          compareCheckpoints(resumeCursorCheckpoint(reset.cursor!), resumeCursorCheckpoint(oldCursor)),
        ).toBeLessThan(0);
        expect(sortBySku(client.table.rows())).toEqual(await stockRows(sql2, schema, 'c1'));
        // And it stays live: a later change below the old cursor arrives.
        await setStock(engine2, 'c1', 'NEW0', 42);
        await until(() => client.table.get({ creator_id: 'c1', sku: 'NEW0' })?.quantity === 42);
        expect(sortBySku(client.table.rows())).toEqual(await stockRows(sql2, schema, 'c1'));
      } finally {
        client.close();
        otherSub.unsubscribe();
        await server2.close();
        await engine2.close();
        await db2.close();
      }
    }, 180_000); // two databases loaded from a copy, two engines
  },
);
