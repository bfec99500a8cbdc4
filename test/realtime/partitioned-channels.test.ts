/**
 * A realtime channel on a partitioned projection is refused with
 * INVALID_ARGUMENT (the hub cannot follow its row changes in cursor order);
 * the engine runs the projection when no channel reads it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { createSyncEngine, type SyncEngine } from '../../src/engine.js';
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import { refusePartitionedChannels } from '../../src/realtime/partitioned-channels.js';
import { creatorTotals, appendOrders } from '../processing/partitions/fixtures.js';
import { pgliteEngine, type TestDatabase } from '../support/databases.js';

const channel = (name: string, table?: string): ChannelDefinition => ({
  name,
  keyColumns: ['creator_id'],
  tenantColumn: 'creator_id',
  filterableColumns: [],
  throttleMs: 0,
  ...(table ? { table } : {}),
});

describe('refusePartitionedChannels', () => {
  it('refuses a channel on a partitioned table, by name or by its table', () => {
    const partitioned = new Map([['creator_totals', 'projection:creator_totals']]);
    for (const c of [channel('creator_totals'), channel('totals_feed', 'creator_totals')]) {
      let thrown: unknown;
      try {
        refusePartitionedChannels([channel('other'), c], partitioned);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect(thrown).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/cursor order/),
      });
    }
    expect(() => refusePartitionedChannels([channel('other')], partitioned)).not.toThrow();
  });
});

describe('engine with a partitioned projection (PGlite)', () => {
  let db: TestDatabase;
  let engine: SyncEngine | undefined;
  beforeEach(async () => {
    db = await pgliteEngine.open();
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await db.close();
  });

  it('refuses a channel on it at creation', () => {
    expect(() =>
      createSyncEngine({
        sql: db.sql,
        schema: db.schema,
        projections: [creatorTotals('creator_totals', 4)],
        channels: [channel('creator_totals')],
        pubsub: null,
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('runs it, reports its lag in health, and catches up, when no channel reads it', async () => {
    engine = createSyncEngine({
      sql: db.sql,
      schema: db.schema,
      projections: [creatorTotals('creator_totals', 4)],
      channels: [],
      pubsub: null,
    });
    await engine.start();
    await appendOrders(engine.store, [
      { creator: 1, order: 1, cancel: false },
      { creator: 2, order: 2, cancel: true },
    ]);
    await engine.whenCaughtUp({ timeoutMs: 30_000 });
    const projection = engine.projections.get('creator_totals')!;
    expect(projection.partitioned?.partitions).toBe(4);
    expect((await projection.rows()).map((r) => r.creator_id)).toEqual(['c1', 'c2']);
    const health = await engine.health();
    expect(health.readModels['projection:creator_totals']).toEqual({ lagEvents: 0, lagMs: 0 });
  });
});
