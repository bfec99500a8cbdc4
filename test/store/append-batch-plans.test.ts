/**
 * append_batch runs with cached generic plans (migration 0007): under the
 * default plan_cache_mode PostgreSQL planned its idempotency-key lookup again
 * on every keyed append. The setting lives in the function's definition, so a
 * later CREATE OR REPLACE of the function would silently drop it: this pins
 * it on both engines, and that keyed appends still answer as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

describe.each(sqlEngines.filter((e) => e.available))('append_batch plans on $name', (engine) => {
  let db: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
  });

  it('is set to force generic plans', async () => {
    const { rows } = await db.sql.query<{ config: string[] | null }>(
      `SELECT p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname = 'append_batch'`,
      [db.schema],
    );
    // This version's overload (0009) and 0008's, kept for clients of the previous version.
    expect(rows.map((r) => r.config)).toEqual([
      ['plan_cache_mode=force_generic_plan'],
      ['plan_cache_mode=force_generic_plan'],
    ]);
  });

  it('answers keyed appends and their repeats as before', async () => {
    const first = await store.append('order-1', [{ type: 'order.placed', data: { n: 1 } }], {
      aggregateType: 'order',
      expectedVersion: 'no_stream',
      idempotencyKey: 'k-1',
    });
    // More keyed appends than PostgreSQL's five custom-plan calls, then a repeat of the first.
    for (let i = 2; i <= 8; i++) {
      await store.append(`order-${i}`, [{ type: 'order.placed', data: { n: i } }], {
        aggregateType: 'order',
        expectedVersion: 'no_stream',
        idempotencyKey: `k-${i}`,
      });
    }
    const repeat = await store.append('order-1', [{ type: 'order.placed', data: { n: 1 } }], {
      aggregateType: 'order',
      expectedVersion: 'no_stream',
      idempotencyKey: 'k-1',
    });
    expect(repeat).toMatchObject({
      duplicate: true,
      nextVersion: first.nextVersion,
      positions: first.positions,
    });
    expect((await store.readStream('order-1')).events).toHaveLength(1);
  });
});
