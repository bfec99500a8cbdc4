/**
 * Every read a caller can make goes through a principal: `commerce.as(principal)`
 * reads (rows, find, the conflict audit, the manual queue and the reports)
 * as a law across random users, service keys (issued with random grants and
 * verified), roles, narrowing and filters: a reader without the admin role
 * never gets another creator's row or conflict, every read returns exactly
 * what a reference over the unscoped data picks, and each admin read reaching
 * beyond the admin's own creators (and only such a read) adds exactly one
 * access-audit entry. Memory, PGlite and PostgreSQL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, ServiceKeys } from '../../src/access/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import type { Row } from '../../src/core/row-change.js';
import type { ConflictRecord } from '../../src/conflicts/service/audit/audit-record.js';
import {
  commerceEvent,
  COMMERCE_READ_ROLES,
  inventoryStream,
  stockReportEvent,
  type CommerceTable,
  type StockReported,
} from '../../src/commerce/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const CREATORS = ['creator-a', 'creator-b', 'creator-c'] as const;
const NAMED = [...CREATORS, 'creator-ghost'];
const TABLES: readonly CommerceTable[] = ['inventory_levels', 'inventory_alerts', 'system_health_metrics'];
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const FILTERS: Record<string, readonly (string | number | null)[]> = {
  product_id: ['p1', 'p2', 'p-none'],
  status: ['active', 'resolved', 'nominal', 'critical', null],
  on_hand: [48, 50],
};
/** Service keys: the grant decides the scope; one without a read role; one revoked (verifies to nothing). */
const GRANTS = [
  { name: 'sync-a', tenantIds: ['creator-a'] },
  { name: 'sync-bc', tenantIds: ['creator-b', 'creator-c'] },
  { name: 'no-read-role', tenantIds: ['creator-c'], roles: ['viewer'] },
];

type Read =
  | {
      kind: 'rows';
      table: CommerceTable;
      tenantIds?: string[] | undefined;
      where: Record<string, string | number | null>;
    }
  | { kind: 'find'; table: CommerceTable; pick: number }
  | {
      kind: 'list' | 'pending' | 'report';
      tenantIds?: string[] | undefined;
      status?: 'pending' | 'resolved' | undefined;
    };

const arbNarrow = fc.option(fc.subarray(NAMED), { nil: undefined });
const arbRead: fc.Arbitrary<Read> = fc.oneof(
  fc.record({
    kind: fc.constant('rows' as const),
    table: fc.constantFrom(...TABLES),
    tenantIds: arbNarrow,
    where: fc.dictionary(
      fc.constantFrom(...Object.keys(FILTERS)),
      fc.constantFrom(...Object.values(FILTERS).flat()),
      { maxKeys: 2 },
    ),
  }),
  fc.record({ kind: fc.constant('find' as const), table: fc.constantFrom(...TABLES), pick: fc.nat() }),
  fc.record({
    kind: fc.constantFrom('list' as const, 'pending' as const, 'report' as const),
    tenantIds: arbNarrow,
    status: fc.option(fc.constantFrom('pending' as const, 'resolved' as const), { nil: undefined }),
  }),
);
const ACTION = {
  rows: 'commerce.rows',
  find: 'commerce.find',
  list: 'conflicts.audit',
  pending: 'conflicts.pending',
  report: 'conflicts.report',
} as const;

const text = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
const rowKey = (r: Row) => JSON.stringify([r.creator_id, r.product_id, r.component, r.alert_type]);

describe.each(commerceEngines)('reads through a principal ($name)', (engine) => {
  let bed: CommerceTestbed;
  const all = new Map<CommerceTable, Row[]>();
  let records: ConflictRecord[] = [];
  const principals: Authorization[] = [];

  beforeAll(async () => {
    if (!engine.available) return;
    bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
    const conflicts = bed.commerce.conflicts!;
    const report = (c: string, p: string, source: StockReported['source'], quantity: number, ms: number) =>
      bed.store.append(inventoryStream(c, p), [
        stockReportEvent({
          creatorId: c,
          productId: p,
          quantity,
          source,
          sourceId: source,
          reportedAt: new Date(T0 + ms).toISOString(),
        }),
      ]);
    const settle = async () => {
      await conflicts.whenCaughtUp();
      await conflicts.settleDue(T0 + 3_600_000);
      await bed.commerce.whenIdle();
    };
    for (const [i, c] of CREATORS.entries()) {
      await report(c, 'p1', 'tiktok_webhook', 50, 0);
      await report(c, 'p2', 'tiktok_webhook', 50, 0);
      await settle();
      // p1: TikTok vs an admin, settled by rule; p2 (two creators): 10 %+ apart, escalated.
      await report(c, 'p1', 'manual_admin', 48, 70_000);
      await report(c, 'p1', 'tiktok_webhook', 50, 71_000);
      if (i < 2) {
        await report(c, 'p2', 'tiktok_webhook', 20, 70_000);
        await report(c, 'p2', 'scheduled_sync', 44, 70_500);
      }
      await bed.store.append(`system-${c}`, [
        commerceEvent('system.health_check_completed', {
          component: 'tiktok_api',
          status: i === 1 ? 'critical' : 'nominal',
          measurements: { api_latency_ms: 10 + i },
          checkedAt: '2026-12-01T10:00:00.000Z',
          creatorId: c,
        }),
      ]);
    }
    await settle();
    for (const table of TABLES) all.set(table, await bed.commerce.readModels.unscopedRows(table));
    records = await conflicts.unscopedResolver.list();
    // Every creator has conflicts and rows, some pending, so a leak would show.
    for (const c of CREATORS) {
      expect(records.some((r) => r.tenantId === c)).toBe(true);
      expect(all.get('inventory_levels')!.some((r) => r.creator_id === c)).toBe(true);
    }
    expect(records.some((r) => r.status === 'pending')).toBe(true);

    const keys = new ServiceKeys({ sql: bed.store.sql, schema: bed.store.schema });
    await keys.migrate();
    for (const grant of GRANTS) principals.push((await keys.verify((await keys.issue(grant)).key))!);
    const revoked = await keys.issue({ name: 'revoked', tenantIds: ['creator-a'] });
    await keys.revoke(revoked.info.keyId);
    expect(await keys.verify(revoked.key)).toBeNull();
  }, 180_000);
  afterAll(async () => {
    await bed?.close();
  });

  const arbUser: fc.Arbitrary<Authorization> = fc.record({
    userId: fc.constantFrom('u1', 'u2', 'ops'),
    tenantIds: fc.subarray(NAMED),
    roles: fc.subarray(['creator', 'admin', 'service', 'viewer']),
  });
  const arbPrincipal = fc.oneof(
    arbUser,
    fc.nat().map((i) => principals[i % principals.length]!),
  );

  it.skipIf(!engine.available)(
    'no reader gets another creator’s row or conflict; reads equal the reference; admins beyond their own are audited once',
    async () => {
      const detected = records.map((r) => Date.parse(r.detectedAt));
      const from = new Date(Math.min(...detected));
      const to = new Date(Math.max(...detected) + 1);
      await fc.assert(
        fc.asyncProperty(arbPrincipal, arbRead, async (auth, read) => {
          const own = auth.tenantIds;
          const admin = auth.roles?.includes('admin') ?? false;
          const reads = COMMERCE_READ_ROLES.some((r) => auth.roles?.includes(r));
          const reader = bed.commerce.as(auth);
          const before = (await bed.commerce.accessAudit.list()).length;
          const narrow = read.kind === 'find' ? undefined : read.tenantIds;
          const visible = (creator: unknown) =>
            (admin || own.includes(String(creator))) &&
            (narrow === undefined || narrow.includes(String(creator)));

          const run = async (): Promise<{ creators: unknown[]; got: string[]; want: string[] }> => {
            switch (read.kind) {
              case 'rows': {
                const rows = await reader.rows(read.table, {
                  where: read.where,
                  ...(narrow ? { tenantIds: narrow } : {}),
                });
                const want = all
                  .get(read.table)!
                  .filter(
                    (r) =>
                      visible(r.creator_id) &&
                      Object.entries(read.where).every(([c, v]) =>
                        v === null ? r[c] == null : r[c] != null && text(r[c]) === text(v),
                      ),
                  );
                return {
                  creators: rows.map((r) => r.creator_id),
                  got: rows.map(rowKey),
                  want: want.map(rowKey),
                };
              }
              case 'find': {
                const candidates = all.get(read.table)!;
                const target = candidates[read.pick % candidates.length]!;
                const key = Object.fromEntries(
                  ['creator_id', 'product_id', 'component', 'alert_type']
                    .filter((c) => target[c] !== undefined)
                    .map((c) => [c, target[c]]),
                );
                const found = await reader.find(read.table, key);
                return {
                  creators: found ? [found.creator_id] : [],
                  got: found ? [rowKey(found)] : [],
                  want: visible(target.creator_id) ? [rowKey(target)] : [],
                };
              }
              default: {
                const picked = records.filter(
                  (r) =>
                    visible(r.tenantId) &&
                    (read.kind === 'pending'
                      ? r.status === 'pending'
                      : read.kind === 'report' || read.status === undefined || r.status === read.status),
                );
                const query = narrow ? { tenantIds: narrow } : {};
                if (read.kind === 'report') {
                  const report = await reader.conflicts!.report({ from, to, bucket: 'hour', ...query });
                  return { creators: [], got: [String(report.total)], want: [String(picked.length)] };
                }
                const got =
                  read.kind === 'pending'
                    ? await reader.conflicts!.pending(query)
                    : await reader.conflicts!.list({
                        ...query,
                        ...(read.status ? { status: read.status } : {}),
                      });
                return {
                  creators: got.map((r) => r.tenantId),
                  got: got.map((r) => r.conflictId),
                  want: picked.map((r) => r.conflictId),
                };
              }
            }
          };

          if (!reads) {
            await expect(run()).rejects.toBeInstanceOf(AccessDeniedError);
            expect((await bed.commerce.accessAudit.list()).length).toBe(before);
            return;
          }
          const { creators, got, want } = await run();
          // The law: without admin, nothing outside the caller's creators (a key's: its grant's).
          if (!admin) for (const c of creators) expect(own).toContain(c);
          expect([...got].sort()).toEqual([...want].sort());

          // An admin reaching beyond their own creators, and only that, is audited once.
          const reached =
            read.kind === 'find'
              ? [String(all.get(read.table)![read.pick % all.get(read.table)!.length]!.creator_id)]
              : narrow;
          const beyond = admin && (reached === undefined || reached.some((t) => !own.includes(t)));
          const entries = await bed.commerce.accessAudit.list();
          expect(entries.length).toBe(before + (beyond ? 1 : 0));
          if (beyond) expect(entries[0]).toMatchObject({ userId: auth.userId, action: ACTION[read.kind] });
        }),
        { numRuns: engine.name === 'postgres' ? 60 : 120 },
      );
    },
    240_000,
  );
});
