/**
 * What a marking batch of `sync-inventory-levels-on-events` costs on
 * PostgreSQL, in statements (each one round trip): one — the marks' upsert
 * and the fenced checkpoint update in one statement (`ctx.withCheckpoint`),
 * one commit — whatever the batch holds. Marking in the checkpoint's
 * transaction (exactly-once) cost four: BEGIN, the fence, the upsert, COMMIT;
 * the upsert and then the update, two (and two commits). The page's read
 * (`read_log`) is the processor's, as before.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import {
  commerceEvent,
  createCommerce,
  FakeTikTokShopClient,
  InventorySyncTrigger,
  inventoryStream,
  inventorySyncMarksOf,
  type Commerce,
} from '../../src/commerce/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { countingPgPool } from '../support/counting-pg-pool.js';
import { dropPostgresSchema, postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

const C = 'creator-rt';

describe.skipIf(!postgresEngine.available)('a marking batch of the inventory sync on PostgreSQL', () => {
  const schema = uniqueSchema('marks_rt');
  let writerPool: pg.Pool;
  let markerPool: pg.Pool;
  let writer: EventStore;
  let marker: EventStore;
  let commerce: Commerce;
  let trigger: InventorySyncTrigger;
  let sent: string[];

  beforeAll(async () => {
    writerPool = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
    markerPool = new pg.Pool({ connectionString: postgresUrl()!, max: 4 });
    // Appends come from another store (another host, in effect): the marking store sends
    // only what its processor does, woken by their NOTIFY.
    writer = createEventStore({ sql: fromPg(writerPool), schema });
    await writer.migrate();
    commerce = createCommerce({ store: writer }); // its read models only; never started, no flush runs
    const counting = countingPgPool(markerPool);
    sent = counting.sent;
    marker = createEventStore({ sql: fromPg(counting.pool), schema });
    trigger = new InventorySyncTrigger(
      { store: marker, readModels: commerce.readModels, reportContenders: false },
      {
        tiktok: { client: new FakeTikTokShopClient(), shopOf: () => 'shop-1' },
        // Nothing else on the connection while counting: no lease, no flush, no backstop poll.
        lease: false,
        tickMs: 3_600_000,
        pollIntervalMs: 600_000,
      },
    );
    await trigger.start();
  });
  afterAll(async () => {
    await trigger.stop();
    await marker.close();
    await writer.close();
    await dropPostgresSchema(schema);
    await Promise.all([writerPool.end(), markerPool.end()]);
  });

  const reserve = (productIds: readonly string[], orderId: string) =>
    writer.append(
      inventoryStream(C, 'batch'),
      productIds.map((productId) =>
        commerceEvent('inventory.reserved', { creatorId: C, productId, orderId, quantity: 1 }),
      ),
    );
  /**
   * The statements sent to mark what `append` wrote. Left out: reads (of the log,
   * and the lag report's read of the newest event, due on the wall clock's
   * multiples of five seconds, so inside any batch's window of a slow run), and
   * the store of a position reached through pages with nothing to mark (a lone
   * checkpoint update, due a second after such a page): other tests' transactions
   * move the log's horizon (transaction ids are the cluster's), so in a full run it
   * may fall inside any batch's window.
   */
  async function statementsToMark(append: Promise<{ checkpoint: string }>): Promise<string[]> {
    sent.length = 0;
    const { checkpoint } = await append;
    await trigger.processor.whenCaughtUp({ to: checkpoint, timeoutMs: 30_000 });
    return sent
      .filter((text) => !/^\s*SELECT /.test(text))
      .filter((text) => !/^\s*UPDATE \S+\.processor_checkpoints SET checkpoint/.test(text))
      .map((text) => text.replace(/\s+/g, ' ').trim().slice(0, 60));
  }

  it('costs one statement a batch: the marks’ upsert with the fenced checkpoint update', async () => {
    await statementsToMark(reserve(['warm-up'], 'o-warm'));

    const one = await statementsToMark(reserve(['p1'], 'o-1'));
    expect(one).toEqual([expect.stringMatching(/^WITH checkpoint_advanced AS \( UPDATE /)]);
    expect(sent.find((text) => text.includes('checkpoint_advanced'))).toMatch(
      /UPDATE "[^"]+"\.processor_checkpoints[\s\S]*written AS \(INSERT INTO "[^"]+"\.inventory_sync_marks/,
    );
    // A batch of several events on several products costs the same one.
    const five = await statementsToMark(reserve(['p1', 'p2', 'p3', 'p2', 'p4'], 'o-2'));
    expect(five).toHaveLength(1);
    expect(five).toEqual(one);

    const pending = await inventorySyncMarksOf(writer).load();
    expect(pending.map((m) => m.productId).sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'warm-up']);
    expect(trigger.pending()).toEqual({ [C]: ['p1', 'p2', 'p3', 'p4', 'warm-up'] });
  });
});
