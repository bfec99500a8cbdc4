/**
 * The resolver service on the in-memory store, PGlite and PostgreSQL: outcome
 * events, audit persistence, idempotence, the manual queue and reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFLICT_ESCALATED_EVENT,
  CONFLICT_RESOLVED_EVENT,
  ConflictNotFoundError,
  GENERIC_CONFLICT_DETECTED_EVENT,
  ConflictNotPendingError,
  ConflictResolver,
  SqlAuditStore,
  UnknownSourceError,
  createConflictEngine,
  type ConflictRecord,
  type ContenderInput,
} from '../../src/conflicts/index.js';
import { StoreClosedError } from '../../src/core/errors.js';
import { SYNC_CONFLICT_DETECTED_EVENT } from '../../src/commerce/conflicts/commerce-conflict-names.js';
import { registerCommerceEvents, syncConflictDetectedSchema } from '../../src/commerce/events/index.js';
import { createEventStore } from '../../src/store/index.js';
import { pgliteEngine, sqlEngines } from '../support/databases.js';
import { backends, type ResolverFixture } from './support/fixtures.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
let seq = 0;
const change = (
  entityType: string,
  entityId: string,
  source: string,
  fields: Partial<ContenderInput>,
  offsetMs = 0,
): ContenderInput => ({
  entityType,
  entityId,
  source,
  sourceId: `${source}-1`,
  eventId: `evt-${++seq}`,
  hlc: { wallMs: T0 + offsetMs, logical: 0, node: source },
  ...fields,
});

// Everything but the timing fields: what must not depend on arrival order.
const content = (r: ConflictRecord) => ({ ...r, detectedAt: null, resolvedAt: null, resolutionMs: null });

describe.each(backends)('conflict resolver on $name', (backend) => {
  let f: ResolverFixture;
  let clock = T0 + 1_000;
  beforeAll(async () => {
    if (!backend.available) return;
    f = await backend.open({ now: () => clock });
    // The commerce catalog validates inventory.sync_conflict_detected: our events must satisfy it.
    registerCommerceEvents(f.store);
  });
  afterAll(async () => {
    await f?.close();
  });

  it.skipIf(!backend.available)(
    'resolving appends detected + resolved events with correlation and causation ids and writes a full audit record',
    async () => {
      const a = change('inventory', 'sku-1', 'automated_system', { changes: { quantity: 48 } });
      const b = change('inventory', 'sku-1', 'scheduled_sync', { changes: { quantity: 50 } }, 200);
      const record = await f.resolver.resolve({
        entityType: 'inventory',
        entityId: 'sku-1',
        base: { quantity: 50, creatorId: 'creator-1' },
        contenders: [a, b],
        detectedAt: clock - 40,
      });
      expect(record.status).toBe('resolved');
      expect(record.resolution.after).toEqual({ quantity: 48, creatorId: 'creator-1' });
      expect([record.resolution.winner, record.resolution.losers]).toEqual([a.eventId, [b.eventId]]);
      expect(record.resolutionMs).toBe(40);
      expect(record.conflictId).toMatch(/^[0-9a-f-]{36}$/);

      const { events } = await f.store.readStream('conflicts-inventory-sku-1');
      expect(events.map((e) => e.type)).toEqual([SYNC_CONFLICT_DETECTED_EVENT, CONFLICT_RESOLVED_EVENT]);
      const [detected, resolved] = events;
      expect(detected!.metadata).toMatchObject({
        correlationId: record.conflictId,
        causationId: b.eventId,
        source: 'conflict_resolver',
      });
      expect(resolved!.metadata).toMatchObject({
        correlationId: record.conflictId,
        causationId: detected!.id,
      });
      expect(syncConflictDetectedSchema.safeParse(detected!.data).success).toBe(true);
      expect(detected!.data).toMatchObject({
        creatorId: 'creator-1',
        productId: 'sku-1',
        localQuantity: 50,
        remoteQuantity: 48,
        resolvedQuantity: 48,
      });
      expect(resolved!.data).toMatchObject({
        conflictId: record.conflictId,
        set: { quantity: 48 },
        winner: a.eventId,
        manual: false,
      });

      expect(await f.resolver.get(record.conflictId)).toEqual(record);
    },
  );

  it.skipIf(!backend.available)(
    'order independence and idempotence through the store: a permuted or repeated conflict writes nothing and returns the same audit',
    async () => {
      const cs = [
        change('inventory', 'sku-2', 'tiktok_webhook', { changes: { quantity: 7 } }),
        change('inventory', 'sku-2', 'manual_admin', { deltas: { quantity: 20 } }, 100),
        change('inventory', 'sku-2', 'automated_system', { changes: { quantity: 7 } }, 300),
      ];
      const first = await f.resolver.resolve({
        entityType: 'inventory',
        entityId: 'sku-2',
        base: { quantity: 7 },
        contenders: cs,
      });
      const again = await f.resolver.resolve({
        entityType: 'inventory',
        entityId: 'sku-2',
        base: { quantity: 7 },
        contenders: [...cs].reverse(),
      });
      const dup = await f.resolver.resolve({
        entityType: 'inventory',
        entityId: 'sku-2',
        base: { quantity: 7 },
        contenders: [cs[1]!, ...cs],
      });
      expect(content(again)).toEqual(content(first));
      expect(dup).toEqual(first);
      expect((await f.store.readStream('conflicts-inventory-sku-2')).events).toHaveLength(2);
      expect(first.resolution.after).toEqual({ quantity: 27 });
      const accounted = [
        first.resolution.winner,
        ...first.resolution.merged,
        ...first.resolution.losers,
      ].sort();
      expect(accounted).toEqual(cs.map((c) => c.eventId).sort());
    },
  );

  it.skipIf(!backend.available)('bad input gets a typed error and writes nothing', async () => {
    const before = await f.resolver.list();
    const good = change('inventory', 'sku-bad', 'tiktok_webhook', { changes: { quantity: 1 } });
    await expect(
      f.resolver.resolve({
        entityType: 'inventory',
        entityId: 'sku-bad',
        contenders: [good, { ...good, eventId: 'x', source: 'fax' }],
      }),
    ).rejects.toBeInstanceOf(UnknownSourceError);
    await expect(
      f.resolver.process([good, { ...good, eventId: 'y', changes: { quantity: 'many' } }]),
    ).rejects.toMatchObject({ code: 'CONFLICT_MALFORMED_INPUT' });
    expect((await f.store.readStream('conflicts-inventory-sku-bad')).version).toBe(0);
    expect(await f.resolver.list()).toEqual(before);
  });

  it.skipIf(!backend.available)(
    'manual queue: an escalated conflict is pending until an admin decides; the decision is audited and applied as an event; only one decision wins',
    async () => {
      const a = change('order', 'o-9', 'tiktok_webhook', { changes: { status: 'paid', totalAmount: 1200 } });
      const b = change('order', 'o-9', 'manual_admin', { changes: { status: 'cancelled' } }, 50);
      const escalated: string[] = [];
      f.resolver.on('conflict:escalated', (r) => escalated.push(r.conflictId));
      const record = await f.resolver.resolve({
        entityType: 'order',
        entityId: 'o-9',
        base: { status: 'validated', totalAmount: 1200 },
        contenders: [a, b],
      });
      expect(record.status).toBe('pending');
      expect(escalated).toEqual([record.conflictId]);
      expect(record.resolution.escalation!.reasons.map((r) => r.code)).toEqual(['order_value']);
      expect((await f.resolver.listPending()).map((r) => r.conflictId)).toContain(record.conflictId);

      clock += 5_000;
      const decisions = [
        f.resolver.resolveManually(record.conflictId, {
          values: { status: 'cancelled' },
          adminId: 'admin-1',
          note: 'customer asked',
        }),
        f.resolver.resolveManually(record.conflictId, {
          values: { status: 'paid', totalAmount: 1200 },
          adminId: 'admin-2',
        }),
      ];
      const settled = await Promise.allSettled(decisions);
      const won = settled.filter(
        (s): s is PromiseFulfilledResult<ConflictRecord> => s.status === 'fulfilled',
      );
      const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect([won.length, lost.length]).toEqual([1, 1]);
      expect(lost[0]!.reason).toBeInstanceOf(ConflictNotPendingError);
      const decided = won[0]!.value;
      expect(decided.status).toBe('manually_resolved');
      expect(decided.resolutionMs).toBeGreaterThan(0);
      expect(await f.resolver.get(record.conflictId)).toEqual(decided);
      expect((await f.resolver.listPending()).map((r) => r.conflictId)).not.toContain(record.conflictId);

      const { events } = await f.store.readStream('conflicts-order-o-9');
      expect(events.map((e) => e.type)).toEqual([
        GENERIC_CONFLICT_DETECTED_EVENT,
        CONFLICT_ESCALATED_EVENT,
        CONFLICT_RESOLVED_EVENT,
      ]);
      expect(events[2]!.data).toMatchObject({
        manual: true,
        adminId: decided.manualOverride!.adminId,
        set: decided.manualOverride!.values,
      });
      expect(events[2]!.metadata).toMatchObject({
        causationId: events[1]!.id,
        correlationId: record.conflictId,
        userId: decided.manualOverride!.adminId,
      });
      const roles = [decided.resolution.winner, ...decided.resolution.merged, ...decided.resolution.losers]
        .filter((x) => x !== null)
        .sort();
      expect(roles).toEqual([a.eventId, b.eventId].sort());

      // Repeating the winning decision returns it; another one is refused.
      const winner = decided.manualOverride!;
      await expect(
        f.resolver.resolveManually(record.conflictId, {
          values: winner.values,
          adminId: winner.adminId,
          ...(winner.note ? { note: winner.note } : {}),
        }),
      ).resolves.toEqual(decided);
      await expect(
        f.resolver.resolveManually(record.conflictId, { values: { status: 'paid' }, adminId: 'admin-3' }),
      ).rejects.toBeInstanceOf(ConflictNotPendingError);
      await expect(
        f.resolver.resolveManually('00000000-0000-4000-8000-000000000000', { values: {}, adminId: 'a' }),
      ).rejects.toBeInstanceOf(ConflictNotFoundError);
    },
  );

  it.skipIf(!backend.available)(
    'process detects, resolves, audits and reports per hour with trend, automatic vs manual rate and impact',
    async () => {
      clock = Date.parse('2026-03-02T12:30:00Z');
      const changes = [
        change(
          'inventory',
          'r-1',
          'automated_system',
          { changes: { quantity: 10 } },
          Date.parse('2026-03-02T12:29:00Z') - T0,
        ),
        change(
          'inventory',
          'r-1',
          'scheduled_sync',
          { changes: { quantity: 11 } },
          Date.parse('2026-03-02T12:29:01Z') - T0,
        ),
        change(
          'order',
          'r-2',
          'shipping_provider',
          { changes: { status: 'shipped' } },
          Date.parse('2026-03-02T12:29:00Z') - T0,
        ),
        change(
          'order',
          'r-2',
          'automated_system',
          { changes: { status: 'cancelled' } },
          Date.parse('2026-03-02T12:29:02Z') - T0,
        ),
        change(
          'order',
          'r-3',
          'automated_system',
          { changes: { status: 'paid' } },
          Date.parse('2026-03-02T12:29:02Z') - T0,
        ),
      ];
      const { records, unconflicted } = await f.resolver.process(changes, {
        base: (type) => (type === 'inventory' ? { quantity: 10 } : { status: 'paid', totalAmount: 2500 }),
      });
      expect(unconflicted.map((c) => c.eventId)).toEqual([changes[4]!.eventId]);
      expect(records.map((r) => [r.resolution.entityId, r.status])).toEqual([
        ['r-1', 'resolved'],
        ['r-2', 'pending'],
      ]);
      clock = Date.parse('2026-03-02T13:10:00Z');
      const later = [
        change(
          'inventory',
          'r-4',
          'automated_system',
          { changes: { quantity: 3 } },
          Date.parse('2026-03-02T13:09:00Z') - T0,
        ),
        change(
          'inventory',
          'r-4',
          'scheduled_sync',
          { deltas: { quantity: -1 } },
          Date.parse('2026-03-02T13:09:00Z') - T0,
        ),
      ];
      await f.resolver.process(later, { base: () => ({ quantity: 3 }) });

      const report = await f.resolver.report({
        from: new Date('2026-03-02T11:00:00Z'),
        to: new Date('2026-03-02T14:00:00Z'),
        bucket: 'hour',
      });
      expect(report.buckets.map((b) => b.conflicts)).toEqual([0, 2, 1]);
      expect([report.total, report.automatic, report.manual, report.pending]).toEqual([3, 2, 0, 1]);
      expect(report.automaticRate).toBeCloseTo(2 / 3);
      expect(report.trend.direction).toBe('rising');
      expect(report.impact).toEqual({ revenue: 2500, stockUnits: 1 });
      expect(report.byKind.inventory_concurrent_update).toBe(2);
      const daily = await f.resolver.report({
        from: new Date('2026-03-02T00:00:00Z'),
        to: new Date('2026-03-03T00:00:00Z'),
        bucket: 'day',
      });
      expect(daily.buckets).toHaveLength(1);
      expect(daily.total).toBe(3);
    },
  );
  it.skipIf(!backend.available)(
    'a closed resolver refuses work and no longer audits appends of the store',
    async () => {
      const other = new ConflictResolver({ config: commerceConflictConfig(), store: f.store });
      other.close();
      const a = change('inventory', 'sku-closed', 'automated_system', { changes: { quantity: 1 } });
      const b = change('inventory', 'sku-closed', 'scheduled_sync', { changes: { quantity: 1 } });
      await expect(
        other.resolve({ entityType: 'inventory', entityId: 'sku-closed', contenders: [a, b] }),
      ).rejects.toBeInstanceOf(StoreClosedError);
      expect((await f.store.readStream('conflicts-inventory-sku-closed')).version).toBe(0);
    },
  );
});

describe('audit in another database than the events', () => {
  it('a memory store with the audit on PGlite: the resolution is audited there, once', async () => {
    const db = await pgliteEngine.open();
    const store = createEventStore();
    try {
      const resolver = new ConflictResolver({
        config: commerceConflictConfig(),
        store,
        sql: db.sql,
        schema: db.schema,
      });
      await resolver.migrate();
      const a = change('inventory', 'sku-x', 'automated_system', { changes: { quantity: 4 } });
      const b = change('inventory', 'sku-x', 'scheduled_sync', { changes: { quantity: 4 } });
      const first = await resolver.resolve({
        entityType: 'inventory',
        entityId: 'sku-x',
        contenders: [a, b],
      });
      const again = await resolver.resolve({
        entityType: 'inventory',
        entityId: 'sku-x',
        contenders: [b, a],
      });
      expect(again).toEqual(first);
      const { rows } = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${db.schema}".conflict_audit WHERE conflict_id = $1`,
        [first.conflictId],
      );
      expect(rows[0]!.n).toBe(1);
      expect((await store.readStream('conflicts-inventory-sku-x')).events).toHaveLength(2);
    } finally {
      await store.close();
      await db.close();
    }
  });
});

describe.each(sqlEngines)('SQL audit store on $name', (engine) => {
  it.skipIf(!engine.available)(
    'insertMany writes a batch in one statement, skips already audited conflicts and round-trips every record',
    async () => {
      const db = await engine.open();
      try {
        const audit = new SqlAuditStore(db.sql, db.schema);
        await audit.migrate();
        const engineCore = createConflictEngine(commerceConflictConfig());
        const records: ConflictRecord[] = [1, 2, 3].map((n) => {
          const a = change('inventory', `batch-${n}`, 'automated_system', { changes: { quantity: n } });
          const b = change('inventory', `batch-${n}`, 'scheduled_sync', { deltas: { quantity: -1 } });
          const resolution = engineCore.resolve({
            entityType: 'inventory',
            entityId: `batch-${n}`,
            contenders: [a, b],
            base: { quantity: 5 },
            detectedAt: T0,
          });
          return {
            conflictId: resolution.conflictId,
            tenantId: n % 2 === 1 ? 'tenant-a' : null,
            status: 'resolved',
            resolution,
            manualOverride: null,
            detectedAt: new Date(T0).toISOString(),
            resolvedAt: new Date(T0 + n).toISOString(),
            resolutionMs: n,
            correlationId: resolution.conflictId,
            events: { detected: 'd', outcome: 'o', manual: null },
          };
        });
        expect(await audit.insert(records[0]!)).toBe(true);
        await audit.insertMany([{ ...records[0]!, resolutionMs: 999 }, records[1]!, records[2]!]);
        for (const r of records) expect(await audit.get(r.conflictId)).toEqual(r);
        expect(await audit.list({ entityType: 'inventory' })).toHaveLength(3);
        // tenant_id is written by insert and by insertMany's jsonb unpacking alike.
        const ofTenant = await audit.list({ tenantIds: ['tenant-a'] });
        expect(ofTenant.map((r) => r.conflictId).sort()).toEqual(
          records
            .filter((r) => r.tenantId === 'tenant-a')
            .map((r) => r.conflictId)
            .sort(),
        );
        expect(await audit.list({ tenantIds: [] })).toEqual([]);
      } finally {
        await db.close();
      }
    },
  );
});
