/**
 * The stored form of the audit (format 2): each contender once, as a tuple led
 * by its event id, the markers and pending list of an escalation derived on
 * reading. Reading gives back exactly the record that was written, format 1
 * rows are still read, and a 20-contender conflict takes well under half of the
 * bytes it took (PGlite and PostgreSQL).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createConflictEngine, type ConflictRecord, type ContenderInput } from '../../src/conflicts/index.js';
import {
  AUDIT_RECORD_FORMAT,
  decodeAuditRecord,
  encodeAuditRecord,
} from '../../src/conflicts/service/audit/audit-codec.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';
import { anyConflictArb } from './support/arbitraries.js';
import { backends, type ResolverFixture } from './support/fixtures.js';

const engine = createConflictEngine(commerceConflictConfig());

function recordOf(resolution: ConflictRecord['resolution']): ConflictRecord {
  return {
    conflictId: resolution.conflictId,
    tenantId: 'creator-1',
    status: resolution.status === 'escalated' ? 'pending' : 'resolved',
    resolution,
    manualOverride: null,
    detectedAt: '2026-12-03T10:00:00.000Z',
    resolvedAt: null,
    resolutionMs: null,
    correlationId: resolution.conflictId,
    events: { detected: 'd', outcome: 'o', manual: null },
  };
}

/** What format 1 kept: the record through JSON. */
const asJson = (record: ConflictRecord): unknown => JSON.parse(JSON.stringify(record));

describe('audit record codec', () => {
  it('reads back every record it writes, escalated, decided and resolved alike', () => {
    fc.assert(
      fc.property(anyConflictArb, (input) => {
        const resolution = engine.resolve(input);
        const record = recordOf(resolution);
        const stored = JSON.parse(encodeAuditRecord(record)) as { v: number };
        expect(stored.v).toBe(AUDIT_RECORD_FORMAT);
        expect(decodeAuditRecord(stored)).toStrictEqual(asJson(record));
        if (resolution.status === 'escalated') {
          // A decided record keeps the escalation's markers next to roles that are no longer pending.
          const first = resolution.contenders[0]!;
          const decided = engine.decide(resolution, {
            values: { ...first.changes },
            adminId: 'admin-1',
          });
          if (Object.keys(first.changes).length === 0) return;
          const after = { ...recordOf(decided), status: 'manually_resolved' as const };
          expect(decodeAuditRecord(JSON.parse(encodeAuditRecord(after)))).toStrictEqual(asJson(after));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads a format 1 record (the whole record, no tenant) as it was', () => {
    const record = recordOf(engine.resolve(twentyReports('p-old')));
    const { tenantId: _tenant, ...old } = asJson(record) as ConflictRecord;
    expect(decodeAuditRecord(old)).toStrictEqual({ ...old, tenantId: null });
  });
});

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const SOURCES = ['tiktok_webhook', 'manual_admin', 'automated_system', 'scheduled_sync'];

/** The commerce flow's window: 20 stock figures from four sources, one far off (escalated). */
function twentyReports(productId: string) {
  const contenders: ContenderInput[] = Array.from({ length: 20 }, (_, j) => ({
    entityType: 'inventory',
    entityId: productId,
    source: SOURCES[j % 4]!,
    sourceId: SOURCES[j % 4]!,
    eventId: `0b7e3f52-1c4d-4e8a-9f6b-${String(j).padStart(12, '0')}`,
    hlc: { wallMs: T0 + j * 200, logical: 0, node: SOURCES[j % 4]! },
    changes: { quantity: j === 7 ? 20 : 150 },
  }));
  return {
    entityType: 'inventory',
    entityId: productId,
    contenders,
    base: { quantity: 150 },
    detectedAt: T0 + 6_000,
  };
}

describe.each(backends.filter((b) => b.name !== 'memory'))('audit table ($name)', (backend) => {
  let fixture: ResolverFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it.runIf(backend.available)(
    'stores a 20-contender conflict in under half the bytes of the full record, read back whole and found by event id',
    async () => {
      fixture = await backend.open();
      const { resolver, store } = fixture;
      const record = await resolver.resolve(twentyReports('p1'), { tenantId: 'creator-1' });
      expect(record.status).toBe('pending');
      expect(await resolver.get(record.conflictId)).toStrictEqual(asJson(record));
      const table = `"${store.schema}".conflict_audit`;
      const { rows } = await store.sql!.query<{ bytes: number }>(
        `SELECT octet_length(record::text)::int AS bytes FROM ${table} WHERE conflict_id = $1`,
        [record.conflictId],
      );
      // Format 1 stored about 9,100 bytes here (the contenders twice, every id a third time).
      expect(rows[0]!.bytes).toBeLessThan(0.5 * JSON.stringify(record).length);
      // The conflicts an event took part in: its id leads its contender's tuple.
      const eventId = record.resolution.contenders[3]!.eventId;
      const found = await store.sql!.query<{ conflict_id: string }>(
        `SELECT conflict_id FROM ${table} WHERE record->'resolution'->'contenders' @> $1::jsonb`,
        [JSON.stringify([[eventId]])],
      );
      expect(found.rows.map((r) => r.conflict_id)).toEqual([record.conflictId]);
      // An admin's decision is stored the same way and read back whole.
      const decided = await resolver.resolveManually(record.conflictId, {
        values: { quantity: 150 },
        adminId: 'admin-1',
      });
      expect(await resolver.get(record.conflictId)).toStrictEqual(asJson(decided));
      expect((await resolver.listPending()).length).toBe(0);
    },
    60_000,
  );
});
