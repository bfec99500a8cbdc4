/**
 * What a pass of resolve-sync-conflicts sends to the database for N due
 * windows, counted at the SQL port (statements inside transactions included):
 * the statements do not grow with N — the conflicts' events go out in one
 * `appendMany`, one transaction with one multi-row audit INSERT and one staging
 * DELETE — and the audit rows are sent in their stored form, well under half the JSON
 * of the records they keep (PGlite, PostgreSQL).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCommerce,
  inventoryStream,
  stockReportEvent,
  type Commerce,
} from '../../src/commerce/index.js';
import type { ConflictRecord } from '../../src/conflicts/index.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const SOURCES = ['tiktok_webhook', 'manual_admin', 'automated_system', 'scheduled_sync'] as const;

describe.each(sqlEngines)('a pass of N due windows ($name)', (engine) => {
  let db: TestDatabase | undefined;
  let store: EventStore | undefined;
  let commerce: Commerce | undefined;
  afterEach(async () => {
    await commerce?.stop();
    await store?.close();
    await db?.close();
    commerce = store = db = undefined;
  });

  it.runIf(engine.available)(
    'sends the same few statements for 4 or 32 windows, and the audit in its stored form',
    async () => {
      db = await engine.open();
      const sent: { text: string; params: readonly unknown[] | undefined }[] = [];
      const sql = interceptSql(
        db.sql,
        (text, params, next) => {
          sent.push({ text, params });
          return next();
        },
        { inTransactions: true },
      );
      store = createEventStore({ sql, schema: db.schema, occurredAtWindow: null });
      commerce = createCommerce({ store, conflicts: { tickMs: 3_600_000, settleMs: 1_000, lease: false } });
      await commerce.start();
      const conflicts = commerce.conflicts!;
      const records: ConflictRecord[] = [];
      conflicts.on('settled', (_entity, record) => record && records.push(record));

      const pass = async (n: number, fromMs: number) => {
        for (let p = 0; p < n; p++) {
          const productId = `p${n}-${p}`;
          await store!.append(
            inventoryStream('c1', productId),
            Array.from({ length: 8 }, (_, j) =>
              stockReportEvent({
                creatorId: 'c1',
                productId,
                quantity: j === 5 ? 40 : 150,
                source: SOURCES[j % 4]!,
                sourceId: SOURCES[j % 4]!,
                reportedAt: new Date(fromMs + j * 100).toISOString(),
              }),
            ),
          );
        }
        await conflicts.whenCaughtUp();
        await commerce!.whenIdle();
        sent.length = 0;
        records.length = 0;
        const result = await conflicts.settleDue(fromMs + 60_000);
        expect(result.resolved + result.escalated).toBe(n);
        const matching = (pattern: RegExp) => sent.filter((s) => pattern.test(s.text));
        const audits = matching(/INSERT INTO \S+\.conflict_audit/);
        const auditJson = audits.reduce(
          (bytes, s) => bytes + (s.params ?? []).reduce<number>((b, p) => b + String(p).length, 0),
          0,
        );
        const recordJson = records.reduce((bytes, r) => bytes + JSON.stringify(r).length, 0);
        return {
          appends: matching(/append_batch/).length,
          stagingDeletes: matching(/DELETE FROM \S+\.sync_contenders/).length,
          audits: audits.length,
          auditShare: auditJson / recordJson,
        };
      };

      const few = await pass(4, T0);
      const many = await pass(32, T0 + 600_000);
      for (const counted of [few, many]) {
        // One flush for the pass, so one transaction (its audit INSERT and staging DELETE are
        // inline hooks in it); the appends were spread over the flush slots (up to 4) before.
        expect(counted).toMatchObject({ appends: 1, audits: 1, stagingDeletes: 1 });
        // Format 1 sent each whole record (share ≈ 1): 8 contenders listed twice, their ids a third time.
        expect(counted.auditShare).toBeLessThan(0.5);
      }
    },
    120_000,
  );
});
