/**
 * Never oversell across processes: two host processes with async read models
 * on one PostgreSQL schema allocate the last units of a product at the same
 * time. Exactly the stock is allocated; every other allocation is refused with
 * INSUFFICIENT_STOCK and leaves nothing in the log.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { commerceEvent, createCommerce, type Commerce } from '../../src/commerce/index.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { runProgram, type ChildProgram } from '../support/child-process.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';

const ALLOCATOR = fileURLToPath(new URL('./fixtures/allocator.ts', import.meta.url));
const C = 'creator-procs';
const P = 'p-last-units';
const STOCK = 5;
const PER_HOST = 12;

describe.skipIf(!postgresEngine.available)(
  'allocation race across two host processes (async read models)',
  () => {
    let db: TestDatabase | undefined;
    let store: EventStore | undefined;
    let commerce: Commerce | undefined;
    const hosts: ChildProgram[] = [];

    afterEach(async () => {
      for (const host of hosts.splice(0)) host.kill('SIGKILL');
      await commerce?.stop();
      await store?.close();
      await db?.close();
    });

    it(
      `${2 * PER_HOST} orders for ${STOCK} units from two processes: exactly ${STOCK} allocated`,
      { timeout: 180_000 },
      async () => {
        db = await postgresEngine.open();
        const start = (name: string) =>
          runProgram(ALLOCATOR, {
            DATABASE_URL: postgresUrl()!,
            SCHEMA: db!.schema,
            CREATOR: C,
            PRODUCT: P,
            ORDERS: Array.from({ length: PER_HOST }, (_, i) => `${name}-${i}`).join(','),
          });
        // One after the other: the first migrates the schema.
        hosts.push(start('a'));
        await hosts[0]!.line(/^ready$/);
        hosts.push(start('b'));
        await hosts[1]!.line(/^ready$/);

        // The restock goes through commerce too: its guard copy folds what every
        // writer appends in the append's own transaction, so every writer runs it.
        store = createEventStore({ sql: db.sql, schema: db.schema });
        commerce = createCommerce({ store, readModels: 'async' });
        await commerce.start();
        await store.append(`inventory-${C}-${P}`, [
          commerceEvent('inventory.stock_updated', {
            creatorId: C,
            productId: P,
            quantity: STOCK,
            reason: 'restock',
            threshold: 1,
          }),
        ]);
        for (const host of hosts) host.send('go');
        const outcomes = (
          await Promise.all(
            hosts.map(async (host) => JSON.parse((await host.line(/^\[.*\]$/))[0]) as Outcome[]),
          )
        ).flat();
        expect(await Promise.all(hosts.map((h) => h.exited))).toEqual([0, 0]);

        expect(outcomes.filter((o) => o.won)).toHaveLength(STOCK);
        expect(outcomes.filter((o) => !o.won).map((o) => o.code)).toEqual(
          Array.from({ length: 2 * PER_HOST - STOCK }, () => 'INSUFFICIENT_STOCK'),
        );
        // The log holds exactly the winners' reservations.
        const { events } = await store.readAll({ limit: 10_000 });
        const reserved = events.filter((e) => e.type === 'inventory.reserved');
        expect(reserved).toHaveLength(STOCK);
        expect(new Set(reserved.map((e) => (e.data as { orderId: string }).orderId))).toEqual(
          new Set(outcomes.filter((o) => o.won).map((o) => o.orderId)),
        );
      },
    );
  },
);

interface Outcome {
  orderId: string;
  won: boolean;
  code: string | null;
}
