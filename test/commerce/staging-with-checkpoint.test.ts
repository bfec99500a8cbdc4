/**
 * resolve-sync-conflicts stages a batch of reports in the statement that moves
 * its checkpoint past them (the processor's `withCheckpoint`): one round trip a
 * batch instead of an INSERT and then the checkpoint's UPDATE, and the reports
 * are staged no later than the checkpoint moves. The resolver's own
 * `conflict.resolved` (not a manual decision) in the middle of a batch does
 * not cut its staging in two. Counted at the SQL port (PGlite, PostgreSQL).
 */
import { describe, expect, it } from 'vitest';
import {
  createCommerce,
  inventoryStream,
  RESOLVE_SYNC_CONFLICTS,
  stockReportEvent,
  type Commerce,
} from '../../src/commerce/index.js';
import { CONFLICT_RESOLVED_EVENT } from '../../src/conflicts/service/events.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { sqlEngines } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');

/** Every statement sent outside transactions (where the processor stages), noted in `sent`. */
function noting(sql: SqlClient, sent: { text: string; params: readonly unknown[] | undefined }[]) {
  return interceptSql(sql, (text, params, next) => {
    sent.push({ text, params });
    return next();
  });
}

describe.each(sqlEngines)('staging a batch of reports ($name)', (engine) => {
  it.runIf(engine.available)(
    'is one statement with the checkpoint, even around the resolver’s own conflict.resolved',
    async () => {
      const db = await engine.open();
      const sent: { text: string; params: readonly unknown[] | undefined }[] = [];
      const store = createEventStore({
        sql: noting(db.sql, sent),
        schema: db.schema,
        occurredAtWindow: null,
      });
      const commerce = createCommerce({
        store,
        conflicts: { tickMs: 3_600_000, settleMs: 1_000, lease: false },
      });
      try {
        await expectOneStagingStatement(store, commerce, sent);
      } finally {
        await commerce.stop();
        await store.close();
        await db.close();
      }
    },
    60_000,
  );
});

/** Reports, the resolver's own `conflict.resolved`, more reports: staged by one statement. */
async function expectOneStagingStatement(
  store: EventStore,
  commerce: Commerce,
  sent: readonly { text: string; params: readonly unknown[] | undefined }[],
): Promise<void> {
  const report = (productId: string, quantity: number, atMs: number) =>
    stockReportEvent({
      creatorId: 'c1',
      productId,
      quantity,
      source: 'manual_admin',
      sourceId: 'admin',
      reportedAt: new Date(atMs).toISOString(),
    });
  await store.migrate();
  // All in the log before the processor starts, so its first batch holds all of them.
  await store.append(inventoryStream('c1', 'p1'), [report('p1', 5, T0), report('p1', 6, T0 + 100)]);
  await store.append('conflicts-inventory-x', [
    {
      type: CONFLICT_RESOLVED_EVENT,
      data: {
        conflictId: '00000000-0000-5000-8000-000000000001',
        entityType: 'inventory',
        entityId: 'p0',
        strategy: 'businessRules',
        rule: 'stock.minimum',
        winner: 'e1',
        losers: [],
        merged: [],
        set: { quantity: 4 },
        adjust: {},
        manual: false,
      },
    },
  ]);
  await store.append(inventoryStream('c1', 'p2'), [report('p2', 7, T0 + 200)]);
  await commerce.start();
  await commerce.conflicts!.whenCaughtUp();

  const stagings = sent.filter((s) => /INSERT INTO \S+\.sync_contenders/.test(s.text));
  const ownUpdates = sent.filter(
    (s) => /^\s*UPDATE \S+\.processor_checkpoints/.test(s.text) && s.params?.[0] === RESOLVE_SYNC_CONFLICTS,
  );
  expect(stagings).toHaveLength(1);
  expect(stagings[0]!.text).toMatch(/checkpoint_advanced/);
  expect(ownUpdates).toHaveLength(0);
  const open = await commerce.conflicts!.staging.open();
  expect(open.map((e) => [e.entityId, e.reports]).sort()).toEqual([
    ['p1', 2],
    ['p2', 1],
  ]);
}
