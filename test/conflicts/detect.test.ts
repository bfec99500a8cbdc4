/**
 * Detection: windows per entity type, chaining, order independence, HLC trust.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createConflictEngine, type ContenderInput } from '../../src/conflicts/index.js';
import {
  DETECTED_AT,
  contendersArb,
  inventoryFields,
  orderFields,
  permutationArb,
} from './support/arbitraries.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';

const engine = createConflictEngine(commerceConflictConfig({ entities: { order: { windowMs: 1_000 } } }));
const change = (
  id: string,
  wallMs: number,
  entityId = 'sku-1',
  entityType = 'inventory',
): ContenderInput => ({
  entityType,
  entityId,
  source: 'automated_system',
  sourceId: 's',
  eventId: id,
  hlc: { wallMs, logical: 0, node: 'n' },
  changes: { quantity: 1 },
});

describe('conflict detection', () => {
  it('order independence: any permutation of the changes gives the same conflicts and unconflicted changes', () => {
    const arb = fc
      .tuple(
        contendersArb('inventory', inventoryFields, { maxLength: 10 }),
        contendersArb('order', orderFields, { maxLength: 10 }),
      )
      .map(([a, b]) => {
        const ids = new Set(a.map((c) => c.eventId));
        return [...a, ...b.filter((c) => !ids.has(c.eventId))];
      })
      .chain((all) => permutationArb(all).map((p) => [all, p] as const));
    fc.assert(
      fc.property(arb, ([all, permuted]) => {
        expect(engine.detect(permuted, { detectedAt: DETECTED_AT })).toEqual(
          engine.detect(all, { detectedAt: DETECTED_AT }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('every change lands in exactly one conflict or among the unconflicted, and conflicts hold one entity each', () => {
    fc.assert(
      fc.property(contendersArb('inventory', inventoryFields, { maxLength: 12 }), (changes) => {
        const { conflicts, unconflicted } = engine.detect(changes, { detectedAt: DETECTED_AT });
        const seen = [...conflicts.flatMap((c) => c.contenders), ...unconflicted]
          .map((c) => c.eventId)
          .sort();
        expect(seen).toEqual(changes.map((c) => c.eventId).sort());
        for (const c of conflicts) {
          expect(c.contenders.length).toBeGreaterThanOrEqual(2);
          expect(new Set(c.contenders.map((x) => `${x.entityType}/${x.entityId}`)).size).toBe(1);
        }
      }),
    );
  });

  it('changes within the window conflict, a gap larger than the window splits them (default 5 s, per entity type)', () => {
    const inv = engine.detect([change('a', 10_000), change('b', 15_000), change('c', 20_001)], {
      detectedAt: 30_000,
    });
    expect(inv.conflicts.map((c) => c.contenders.map((x) => x.eventId).sort())).toEqual([['a', 'b']]);
    expect(inv.unconflicted.map((c) => c.eventId)).toEqual(['c']);
    const orders = engine.detect(
      [change('a', 10_000, 'o1', 'order'), change('b', 11_001, 'o1', 'order')].map((c) => ({
        ...c,
        changes: { status: 'paid' },
      })),
      { detectedAt: 30_000 },
    );
    expect(orders.conflicts).toEqual([]);
  });

  it('changes to different entities never conflict', () => {
    const { conflicts } = engine.detect([change('a', 10_000, 'sku-1'), change('b', 10_000, 'sku-2')], {
      detectedAt: 30_000,
    });
    expect(conflicts).toEqual([]);
  });

  it('a clock beyond the drift bound is not trusted: it counts as detection time and ranks below trusted clocks', () => {
    const future = {
      ...change('future', 10_000_000),
      source: 'tiktok_webhook' as const,
      changes: { quantity: 3 },
    };
    const recent = {
      ...change('recent', 29_000),
      source: 'tiktok_webhook' as const,
      changes: { quantity: 5 },
    };
    const { conflicts } = engine.detect([future, recent], { detectedAt: 30_000 });
    expect(conflicts).toHaveLength(1);
    const strict = createConflictEngine(
      commerceConflictConfig({
        entities: { inventory: { strategy: 'lastWriteWins' } },
        thresholds: { inventoryDiscrepancyPercent: 1e9 },
      }),
    );
    const r = strict.resolve({
      entityType: 'inventory',
      entityId: 'sku-1',
      contenders: [future, recent],
      detectedAt: 30_000,
    });
    expect(r.contenders.map((c) => [c.eventId, c.trusted])).toEqual([
      ['recent', true],
      ['future', false],
    ]);
    expect(r.set.quantity).toBe(5);
  });
});
