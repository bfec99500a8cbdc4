/**
 * What a pass of resolve-sync-conflicts sends to the database for N due
 * windows, counted at the SQL port (statements inside transactions included):
 * the statements do not grow with N — the conflicts' events go out in one
 * `appendMany`, one transaction with one multi-row audit INSERT and one staging
 * DELETE — and the audit rows are sent in their stored form, well under half the JSON
 * of the records they keep (PGlite, PostgreSQL). And the transaction waits for
 * few answers while it holds its rows: the audit INSERT and the staging DELETE
 * go out with the read models' first read, and tables that fold none of each
 * other's rows are read in one round trip — so the per-creator rows every
 * settled stock conflict locks (`sync_operations`) are locked in the round
 * trip of the append, and the creator's analytics row, which a stock change
 * leaves as it is, not at all (PostgreSQL, whose adapter pipelines).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCommerce,
  inventoryStream,
  stockReportEvent,
  type Commerce,
} from '../../src/commerce/index.js';
import type { ConflictRecord } from '../../src/conflicts/index.js';
import type { QueryOptions, SqlClient, SqlTransaction } from '../../src/core/sql-client.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const SOURCES = ['tiktok_webhook', 'manual_admin', 'automated_system', 'scheduled_sync'] as const;

/** Eight figures for each product from the four sources, 100 ms apart from `fromMs`. */
async function reportWindow(
  store: EventStore,
  products: readonly string[],
  fromMs: number,
  quantity: (product: number, figure: number) => number,
): Promise<void> {
  for (const [p, productId] of products.entries()) {
    await store.append(
      inventoryStream('c1', productId),
      Array.from({ length: 8 }, (_, j) =>
        stockReportEvent({
          creatorId: 'c1',
          productId,
          quantity: quantity(p, j),
          source: SOURCES[j % 4]!,
          sourceId: SOURCES[j % 4]!,
          reportedAt: new Date(fromMs + j * 100).toISOString(),
        }),
      ),
    );
  }
}

/**
 * Per transaction, the statements it waited for (`query`), cut into round trips (a
 * statement sent while another is unanswered goes in the same one), and those it queued.
 */
interface Seen {
  rounds: string[][];
  queued: string[];
  /** Every statement with its parameters (advisory locks name their rows in them). */
  sent: string[];
}

/** `inner` with every transaction's statements noted, `queue` kept where the adapter has it. */
function noting(inner: SqlClient, transactions: Seen[]): SqlClient {
  return {
    ...inner,
    query: inner.query.bind(inner),
    exec: inner.exec.bind(inner),
    transaction: (fn) =>
      inner.transaction((tx) => {
        const seen: Seen = { rounds: [], queued: [], sent: [] };
        const note = (text: string, params?: readonly unknown[]) =>
          seen.sent.push(`${text} ${JSON.stringify(params ?? [])}`);
        transactions.push(seen);
        let unanswered = 0;
        const wrapped: SqlTransaction = {
          query: <Row = Record<string, unknown>>(
            text: string,
            params?: readonly unknown[],
            options?: QueryOptions,
          ) => {
            if (unanswered === 0) seen.rounds.push([]);
            seen.rounds.at(-1)!.push(text);
            note(text, params);
            unanswered += 1;
            return tx.query<Row>(text, params, options).finally(() => (unanswered -= 1));
          },
          exec: (text) => tx.exec(text),
          ...(tx.queue
            ? {
                queue: <Row = Record<string, unknown>>(
                  text: string,
                  params?: readonly unknown[],
                  options?: QueryOptions,
                ) => {
                  seen.queued.push(text);
                  note(text, params);
                  return tx.queue!<Row>(text, params, options);
                },
              }
            : {}),
        };
        return fn(wrapped);
      }),
  };
}

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
        const products = Array.from({ length: n }, (_, p) => `p${n}-${p}`);
        await reportWindow(store!, products, fromMs, (_p, j) => (j === 5 ? 40 : 150));
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
  it.runIf(engine.available && engine.name === 'postgres')(
    "waits for two reads of the read models, the append, and COMMIT; the creator's rows are not read before the write",
    async () => {
      db = await engine.open();
      const transactions: Seen[] = [];
      const sql = noting(db.sql, transactions);
      store = createEventStore({ sql, schema: db.schema, occurredAtWindow: null });
      commerce = createCommerce({
        store,
        conflicts: {
          tickMs: 3_600_000,
          settleMs: 1_000,
          lease: false,
          config: { entities: { inventory: { windowMs: 5_000 } } },
        },
      });
      await commerce.start();
      const conflicts = commerce.conflicts!;
      // A first window gives each product its stock, so the second is a stock conflict
      // (`inventory.sync_conflict_detected`, counted in `sync_operations`).
      const window = async (fromMs: number, stock: number) => {
        // Resolved (stock minimum) for even products, escalated (over 10 % apart) for odd ones.
        await reportWindow(store!, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'], fromMs, (p, j) =>
          j === 5 ? (p % 2 === 0 ? stock - 1 : 40) : stock,
        );
        await conflicts.whenCaughtUp();
        await commerce!.whenIdle();
      };
      await window(T0, 150);
      await conflicts.settleDue(T0 + 20_000);
      await window(T0 + 20_000, 160); // the resolved ones move the stock
      transactions.length = 0;
      const result = await conflicts.settleDue(T0 + 40_000);
      expect(result.resolved).toBe(3);
      expect(result.escalated).toBe(3);
      const settling = transactions.filter((t) =>
        [...t.rounds.flat(), ...t.queued].some((text) => /INSERT INTO \S+\.conflict_audit/.test(text)),
      );
      expect(settling).toHaveLength(1);
      const [tx] = settling;
      const kinds = tx!.rounds.map((round) =>
        round.map((text) =>
          /append_batch/.test(text)
            ? 'append'
            : (/FROM "[^"]+"\."(\w+)" WHERE/.exec(text)?.[1] ?? text.replace(/\s+/g, ' ').slice(0, 40)),
        ),
      );
      // The audit INSERT and the staging DELETE are queued, never waited for.
      expect(tx!.queued.some((t) => /conflict_audit/.test(t))).toBe(true);
      expect(tx!.queued.some((t) => /DELETE FROM \S+\.sync_contenders/.test(t))).toBe(true);
      // Each read holds every table of its round (in any order). They come before the append:
      // its rows are locked before the write gives it its place in the log, and the fold after
      // the write is served what was read. The rows of tables whose changes no other table
      // folds are read in a later round, without being waited for.
      expect(kinds).toEqual([['inventory_levels'], ['analytics_product_state'], ['append']]);
      // A stock change is no first sale and no analytics run: the creator's analytics row, which
      // every settle of the creator would share, is neither read nor locked (a third round before).
      expect(tx!.sent.filter((t) => t.includes('analytics_creator_state'))).toEqual([]);
      expect(tx!.sent.some((t) => t.includes('analytics_product_state'))).toBe(true);
      const queuedReads = tx!.queued
        .map((text) => /FROM "[^"]+"\."(\w+)" WHERE/.exec(text)?.[1])
        .filter(Boolean);
      expect(queuedReads.sort()).toEqual(['inventory_alerts']);
      // The creator's sync_operations row, which every settle of the creator shares, is not read
      // before the write: its counts are merged by one statement queued with COMMIT.
      expect(tx!.sent.filter((t) => /"sync_operations" WHERE/.test(t))).toEqual([]);
      expect(
        tx!.queued.filter((t) => /INSERT INTO "[^"]+"\."sync_operations" AS t[\s\S]*ON CONFLICT/.test(t)),
      ).toHaveLength(1);
    },
    120_000,
  );
});
