/**
 * A host SIGKILLed between marking products and syncing them loses nothing
 * and doubles nothing (PostgreSQL, a real child process): the host marks a
 * batch of reservations and is killed while its marks are durable and no
 * sync has run: once it has seen its marking statement (the marks' upsert
 * and the checkpoint update, one statement) answered, or with that statement
 * committed and its answer held from the host (it never learnt its batch was
 * stored). Another host then takes the lease and syncs each
 * product exactly once: one TikTok read of them all, one report a product,
 * no mark left. The kill waits on what the host prints and on the database,
 * never on a timer; the child's debounce is beyond the test's length, so it
 * cannot have synced.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  createCommerce,
  FakeTikTokShopClient,
  inventoryStream,
  inventorySyncMarksOf,
  SYNC_INVENTORY_ON_EVENTS,
  type Commerce,
  type StockReported,
} from '../../src/commerce/index.js';
import { compareCheckpoints } from '../../src/core/checkpoint.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { runProgram, type ChildProgram } from '../support/child-process.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const HOST = fileURLToPath(new URL('./fixtures/inventory-sync-host.ts', import.meta.url));
const C = 'creator-kill';
const PRODUCTS = ['p1', 'p2', 'p3', 'p4', 'p5'];
const LEASE_TTL_MS = 1_500;

const cases = [
  { when: 'after its checkpoint moved past the marked events', hold: false },
  { when: 'before the answer to its committed marking statement reached it', hold: true },
];

describe.skipIf(!postgresEngine.available)(
  'inventory sync: a host SIGKILLed before syncing its marks',
  () => {
    let db: TestDatabase | undefined;
    let store: EventStore | undefined;
    let commerce: Commerce | undefined;
    let child: ChildProgram | undefined;

    afterEach(async () => {
      child?.kill('SIGKILL');
      await child?.exited;
      await commerce?.stop();
      await store?.close();
      await db?.close();
    });

    it.each(cases)(
      'killed $when: the next host syncs each product once',
      { timeout: 60_000 },
      async ({ hold }) => {
        db = await postgresEngine.open();
        store = createEventStore({ sql: db.sql, schema: db.schema, occurredAtWindow: null });
        await store.migrate();
        for (const productId of PRODUCTS)
          await store.append(inventoryStream(C, productId), [
            commerceEvent('inventory.stock_updated', {
              creatorId: C,
              productId,
              quantity: 40,
              reason: 'restock',
            }),
          ]);

        // The next host (this process), built now and started after the kill: its trigger's
        // checkpoint is set first, so the killed host reads every reservation in one batch.
        const tiktok = new FakeTikTokShopClient();
        for (const [i, productId] of PRODUCTS.entries()) tiktok.setStock(productId, `SKU-${i}`, 30);
        commerce = createCommerce({
          store,
          conflicts: { tickMs: 3_600_000 },
          inventorySync: {
            tiktok: { client: tiktok, shopOf: () => 'shop-1' },
            tickMs: 3_600_000, // flushed by the test, once the redelivered batch (if any) is marked
            lease: { ttlMs: LEASE_TTL_MS, acquireIntervalMs: 100 },
          },
        });
        const trigger = commerce.inventorySync!;
        await trigger.processor.migrate();
        await trigger.processor.seek(await store.headCheckpoint());
        let last = '';
        for (const productId of PRODUCTS)
          ({ checkpoint: last } = await store.append(inventoryStream(C, productId), [
            commerceEvent('inventory.reserved', {
              creatorId: C,
              productId,
              orderId: `o-${productId}`,
              quantity: 1,
            }),
          ]));

        child = runProgram(HOST, {
          DATABASE_URL: postgresUrl()!,
          SCHEMA: db.schema,
          HOST_ID: 'doomed',
          LEASE_TTL_MS: String(LEASE_TTL_MS),
          HOLD_ANSWER: hold ? '1' : '0',
        });
        await child.line(hold ? /"event":"answer_held"/ : /"event":"marked"/, 45_000);
        // Killed exactly here: every product's mark durable, no sync run.
        expect((await pendingMarks()).map((m) => m.productId).sort()).toEqual(PRODUCTS);
        expect(compareCheckpoints(await storedCheckpoint(), last)).toBeGreaterThanOrEqual(0);
        child.kill('SIGKILL');
        await child.exited;
        const said = child.lines().map((line) => JSON.parse(line) as { event: string });
        expect(said.filter((l) => l.event === 'synced' || l.event === 'error')).toEqual([]);

        await commerce.start();
        await waitFor(() => trigger.processor.leaseHeld, {
          timeoutMs: 30_000,
          what: 'the next host takes the lease',
        });
        await trigger.whenCaughtUp({ timeoutMs: 30_000 });
        const runs = await trigger.flushDue(Date.now() + 60_000);
        expect(runs.map((r) => [r.creatorId, r.productIds, r.reported])).toEqual([
          [C, PRODUCTS, PRODUCTS.length],
        ]);
        expect(await trigger.flushDue(Date.now() + 120_000)).toEqual([]);
        expect(tiktok.inventoryReads).toEqual([PRODUCTS]);
        expect(await pendingMarks()).toEqual([]);
        // One scheduled-sync figure a product, none twice.
        const reported = (await store.readAll()).events
          .filter(
            (e) => e.type === 'inventory.stock_reported' && e.metadata.source === 'sync-inventory-levels',
          )
          .map((e) => (e.data as StockReported).productId);
        expect(reported.sort()).toEqual(PRODUCTS);
      },
    );

    const pendingMarks = () => inventorySyncMarksOf(store!).load();
    async function storedCheckpoint(): Promise<string> {
      const { rows } = await db!.sql.query<{ checkpoint: string }>(
        `SELECT checkpoint FROM ${quoteIdent(db!.schema)}.processor_checkpoints WHERE processor = $1`,
        [SYNC_INVENTORY_ON_EVENTS],
      );
      return rows[0]!.checkpoint;
    }
  },
);
