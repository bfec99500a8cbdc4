/**
 * The algebraic laws of the pure core: determinism, order independence,
 * grouping independence, idempotence and accounting.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createConflictEngine, type ConflictInput, type Resolution } from '../../src/conflicts/index.js';
import {
  DETECTED_AT,
  NO_ESCALATION,
  absoluteStockFields,
  anyConflictArb,
  bases,
  conflictArb,
  contendersArb,
  inventoryFields,
  permutationArb,
  productFields,
} from './support/arbitraries.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';

const engine = createConflictEngine(commerceConflictConfig());
const calm = createConflictEngine(commerceConflictConfig(NO_ESCALATION));

const withPermutation = anyConflictArb.chain((c) => permutationArb(c.contenders).map((p) => [c, p] as const));

describe('conflict laws', () => {
  it('determinism: resolving the same conflict twice gives deep-equal resolutions', () => {
    fc.assert(
      fc.property(anyConflictArb, (c) => {
        expect(engine.resolve(structuredClone(c))).toEqual(engine.resolve(structuredClone(c)));
      }),
      { numRuns: 300 },
    );
  });

  it('order independence: any permutation of the contenders gives the same resolution (outcome and audit content)', () => {
    fc.assert(
      fc.property(withPermutation, ([c, permuted]) => {
        expect(engine.resolve({ ...c, contenders: permuted })).toEqual(engine.resolve(c));
        expect(calm.resolve({ ...c, contenders: permuted })).toEqual(calm.resolve(c));
      }),
      { numRuns: 400 },
    );
  });

  it('idempotence: a duplicate contender (same event id and content) changes nothing', () => {
    fc.assert(
      fc.property(
        anyConflictArb.chain((c) =>
          fc.tuple(fc.constant(c), fc.integer({ min: 0, max: c.contenders.length - 1 })),
        ),
        ([c, i]) => {
          const duplicated = { ...c, contenders: [...c.contenders, structuredClone(c.contenders[i]!)] };
          expect(engine.resolve(duplicated)).toEqual(engine.resolve(c));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accounting: every contender appears exactly once as winner, loser, merged (or pending while escalated)', () => {
    fc.assert(
      fc.property(anyConflictArb, (c) => {
        for (const r of [engine.resolve(c), calm.resolve(c)]) {
          const roles = [...(r.winner === null ? [] : [r.winner]), ...r.losers, ...r.merged, ...r.pending];
          expect([...roles].sort()).toEqual(c.contenders.map((x) => x.eventId).sort());
          if (r.status === 'escalated') expect(r.pending).toHaveLength(c.contenders.length);
          else expect(r.pending).toHaveLength(0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('accounting: a resolved conflict has a winner whenever any contender contributed, and contributors are winner or merged', () => {
    fc.assert(
      fc.property(anyConflictArb, (c) => {
        const r = calm.resolve(c);
        if (r.status !== 'resolved') return;
        const contributors = new Set(Object.values(r.fields).flatMap((f) => f.contributors));
        const credited = new Set([...(r.winner === null ? [] : [r.winner]), ...r.merged]);
        expect(credited).toEqual(contributors);
      }),
      { numRuns: 300 },
    );
  });

  describe('grouping independence (strategies that claim associativity)', () => {
    const split = <T>(items: readonly T[]) =>
      fc
        .array(fc.boolean(), { minLength: items.length, maxLength: items.length })
        .map((mask) => [items.filter((_, i) => mask[i]), items.filter((_, i) => !mask[i])] as const)
        .filter(([a, b]) => a.length > 0 && b.length > 0);

    const resolveSet = (c: ConflictInput, contenders: ConflictInput['contenders']): Resolution =>
      calm.resolve({ ...c, contenders });

    it('businessRules stock minimum: resolving the winners of any two groups equals resolving the whole set', () => {
      const arb = conflictArb('inventory', absoluteStockFields, bases.inventory, { maxLength: 8 }).chain(
        (c) => split(c.contenders).map((groups) => [c, groups] as const),
      );
      fc.assert(
        fc.property(arb, ([c, [g1, g2]]) => {
          const w1 = c.contenders.find((x) => x.eventId === resolveSet(c, g1).winner)!;
          const w2 = c.contenders.find((x) => x.eventId === resolveSet(c, g2).winner)!;
          const grouped = resolveSet(c, [w1, w2]);
          const whole = resolveSet(c, c.contenders);
          expect(grouped.set).toEqual(whole.set);
          expect(grouped.winner).toBe(whole.winner);
        }),
        { numRuns: 300 },
      );
    });

    it('lastWriteWins: the winner of the group winners is the winner of the whole set', () => {
      const arb = conflictArb('product', productFields, bases.product, { maxLength: 8 })
        .map((c) => ({
          ...c,
          contenders: c.contenders.map((x) => ({ ...x, changes: { title: x.changes!.title ?? 'Mug' } })),
        }))
        .chain((c) => split(c.contenders).map((groups) => [c, groups] as const));
      fc.assert(
        fc.property(arb, ([c, [g1, g2]]) => {
          const w1 = c.contenders.find((x) => x.eventId === resolveSet(c, g1).winner)!;
          const w2 = c.contenders.find((x) => x.eventId === resolveSet(c, g2).winner)!;
          expect(resolveSet(c, [w1, w2]).set).toEqual(resolveSet(c, c.contenders).set);
        }),
        { numRuns: 300 },
      );
    });

    it('stock deltas: applying the groups one after the other equals resolving the whole set', () => {
      const deltasOnly = contendersArb(
        'inventory',
        fc.record({ deltas: fc.record({ quantity: fc.integer({ min: -20, max: 50 }) }) }),
        { maxLength: 8 },
      ).chain((cs) => fc.tuple(fc.constant(cs), fc.integer({ min: 0, max: 200 }), split(cs)));
      fc.assert(
        fc.property(deltasOnly, ([cs, base, [g1, g2]]) => {
          const c: ConflictInput = {
            entityType: 'inventory',
            entityId: 'inventory-1',
            contenders: cs,
            base: { quantity: base },
            detectedAt: DETECTED_AT,
          };
          const first = resolveSet({ ...c }, g1).after!;
          const second = calm.resolve({ ...c, base: first, contenders: g2 }).after!;
          expect(second.quantity).toBe(resolveSet(c, cs).after!.quantity);
        }),
        { numRuns: 300 },
      );
    });
  });

  it('mixed inventory changes: order independence holds with deltas, absolutes and other fields together', () => {
    const arb = conflictArb('inventory', inventoryFields, bases.inventory, { maxLength: 8 }).chain((c) =>
      permutationArb(c.contenders).map((p) => [c, p] as const),
    );
    fc.assert(
      fc.property(arb, ([c, p]) => {
        expect(calm.resolve({ ...c, contenders: p })).toEqual(calm.resolve(c));
      }),
      { numRuns: 300 },
    );
  });
});
