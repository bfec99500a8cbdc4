/**
 * resolve-sync-conflicts writes its conflict events in summary form: a window
 * of twenty stock figures from four sources names each source once in its
 * detected event (with the count of all twenty) and each distinct figure of a
 * source once in its escalation's markers, while the audit record keeps every
 * contender and every marker. A resolver without the option writes them whole.
 * Memory, PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commerceEvent, inventoryStream, stockReportEvent } from '../../src/commerce/index.js';
import {
  ConflictResolver,
  conflictStreamId,
  type ConflictDetectedData,
  type ConflictEscalatedData,
  type ContenderInput,
} from '../../src/conflicts/index.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';
import { createEventStore } from '../../src/store/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-summary';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const SOURCES = ['tiktok_webhook', 'manual_admin', 'automated_system', 'scheduled_sync'] as const;

describe.each(commerceEngines)('conflict events in summary form ($name)', (engine) => {
  let bed: CommerceTestbed;

  beforeEach(async () => {
    bed = await engine.open({ conflicts: { tickMs: 3_600_000, settleMs: 1_000, lease: false } });
  });
  afterEach(async () => {
    await bed.close();
  });

  it.runIf(engine.available)(
    'a window of 20 figures from 4 sources: each source once in the log, all 20 in the audit',
    async () => {
      await bed.store.append(inventoryStream(C, 'p1'), [
        commerceEvent('inventory.stock_updated', {
          creatorId: C,
          productId: 'p1',
          quantity: 100,
          reason: 'sync',
        }),
      ]);
      await bed.store.append(
        inventoryStream(C, 'p1'),
        Array.from({ length: 20 }, (_, j) =>
          stockReportEvent({
            creatorId: C,
            productId: 'p1',
            // One figure far off (escalates: more than 10 % apart), one a unit lower.
            quantity: j === 5 ? 40 : j === 6 ? 99 : 100,
            source: SOURCES[j % 4]!,
            sourceId: SOURCES[j % 4]!,
            reportedAt: new Date(T0 + j * 200).toISOString(),
          }),
        ),
      );
      const conflicts = bed.commerce.conflicts!;
      await conflicts.whenCaughtUp();
      expect(await conflicts.settleDue(T0 + 60_000)).toEqual({ applied: 0, resolved: 0, escalated: 1 });

      const { events } = await bed.store.readStream(conflictStreamId('inventory', 'p1'));
      const detected = events.find((e) => e.type === 'inventory.sync_conflict_detected')!
        .data as ConflictDetectedData;
      expect(detected.contenderCount).toBe(20);
      expect(detected.contenders.map((c) => c.source).sort()).toEqual([...SOURCES].sort());
      const escalated = events.find((e) => e.type === 'conflict.escalated')!.data as ConflictEscalatedData;
      const seen = escalated.markers.quantity!.map((m) => `${m.source}=${String(m.value)}`).sort();
      expect(seen).toEqual([
        'automated_system=100',
        'automated_system=99',
        'manual_admin=100',
        'manual_admin=40',
        'scheduled_sync=100',
        'tiktok_webhook=100',
      ]);

      const [record] = await conflicts.unscopedResolver.list({ entityType: 'inventory' });
      expect(record!.conflictId).toBe(detected.conflictId);
      expect(record!.resolution.contenders).toHaveLength(20);
      expect(record!.resolution.markers.quantity).toHaveLength(20);
    },
  );
});

describe('a resolver without eventDetail', () => {
  it('lists every contender and every marker in its events', async () => {
    const store = createEventStore();
    const resolver = new ConflictResolver({ store, config: commerceConflictConfig() });
    const contenders: ContenderInput[] = Array.from({ length: 6 }, (_, i) => ({
      entityType: 'inventory',
      entityId: 'p1',
      source: i % 2 === 0 ? 'tiktok_webhook' : 'manual_admin',
      sourceId: 'x',
      eventId: `e${i}`,
      hlc: { wallMs: 1_000 + i, logical: 0, node: 'n' },
      changes: { quantity: i === 1 ? 10 : 100 },
    }));
    await resolver.resolve({ entityType: 'inventory', entityId: 'p1', contenders, base: { quantity: 100 } });
    const { events } = await store.readStream(conflictStreamId('inventory', 'p1'));
    const detected = events.find((e) => e.type.endsWith('detected'))!.data as ConflictDetectedData;
    expect(detected.contenders).toHaveLength(6);
    expect(detected.contenderCount).toBeUndefined();
    const escalated = events.find((e) => e.type === 'conflict.escalated')!.data as ConflictEscalatedData;
    expect(escalated.markers.quantity).toHaveLength(6);
    resolver.close();
  });
});
