/**
 * Each strategy on a worked example (the ones in docs/conflicts.md), custom
 * strategies, manual decisions and typed errors for bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EntityMismatchError,
  MalformedConflictInputError,
  UnknownSourceError,
  UnknownStrategyError,
  createConflictEngine,
  isConflictError,
  type ConflictStrategy,
  type ContenderInput,
} from '../../src/conflicts/index.js';
import {
  DETECTED_AT,
  NO_ESCALATION,
  anyConflictArb,
  bases,
  conflictArb,
  productFields,
} from './support/arbitraries.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';

let seq = 0;
const c = (
  source: string,
  fields: Partial<ContenderInput>,
  entityType = 'product',
  wallMs = DETECTED_AT - 100,
): ContenderInput => ({
  entityType,
  entityId: 'x1',
  source,
  sourceId: `${source}-1`,
  eventId: `e${++seq}`,
  hlc: { wallMs, logical: 0, node: 'n' },
  ...fields,
});
const conflict = (entityType: string, contenders: ContenderInput[], base = {}) => ({
  entityType,
  entityId: 'x1',
  contenders,
  base,
  detectedAt: DETECTED_AT,
});

describe('strategies', () => {
  it('lastWriteWins: higher priority beats a later clock; equal priority goes to the later clock', () => {
    const engine = createConflictEngine(commerceConflictConfig());
    const admin = c('manual_admin', { changes: { title: 'Admin' } }, 'product', DETECTED_AT - 10);
    const tiktok = c('tiktok_webhook', { changes: { title: 'TikTok' } }, 'product', DETECTED_AT - 900);
    expect(engine.resolve(conflict('product', [admin, tiktok])).set).toEqual({ title: 'TikTok' });
    const early = c('manual_admin', { changes: { title: 'Early' } }, 'product', DETECTED_AT - 900);
    const r = engine.resolve(conflict('product', [admin, early]));
    expect([r.set, r.winner, r.losers]).toEqual([{ title: 'Admin' }, admin.eventId, [early.eventId]]);
  });

  it('fields named like Object.prototype members are ordinary fields', () => {
    const engine = createConflictEngine(commerceConflictConfig());
    const admin = c('manual_admin', { changes: { constructor: 'A', toString: 1 } });
    const tiktok = c('tiktok_webhook', { changes: { constructor: 'T', hasOwnProperty: true } });
    const r = engine.resolve(conflict('product', [admin, tiktok]));
    expect(r.set).toEqual({ constructor: 'T', toString: 1, hasOwnProperty: true });
  });

  it('businessRules: the lower stock wins whatever the source priority', () => {
    const engine = createConflictEngine(commerceConflictConfig(NO_ESCALATION));
    const tiktok = c('tiktok_webhook', { changes: { quantity: 12 } }, 'inventory');
    const sync = c('scheduled_sync', { changes: { quantity: 9 } }, 'inventory');
    const r = engine.resolve(conflict('inventory', [tiktok, sync], { quantity: 12 }));
    expect([r.set, r.winner, r.fields.quantity!.rule]).toEqual([
      { quantity: 9 },
      sync.eventId,
      'stock_minimum',
    ]);
  });

  it('fieldMerge: disjoint fields merge; an overlap escalates with markers carrying every value', () => {
    const engine = createConflictEngine(
      commerceConflictConfig({ entities: { product: { strategy: 'fieldMerge' } } }),
    );
    const a = c('manual_admin', { changes: { title: 'Mug' } });
    const b = c('automated_system', { changes: { price: 9 } });
    const merged = engine.resolve(conflict('product', [a, b], { title: 'Cup', price: 8 }));
    expect([merged.status, merged.after, merged.winner, merged.merged]).toEqual([
      'resolved',
      { title: 'Mug', price: 9 },
      a.eventId,
      [b.eventId],
    ]);
    const d = c('scheduled_sync', { changes: { title: 'Glass' } });
    const overlap = engine.resolve(conflict('product', [a, b, d]));
    expect(overlap.status).toBe('escalated');
    expect(overlap.escalation!.reasons).toEqual([
      expect.objectContaining({ code: 'overlapping_fields', field: 'title' }),
    ]);
    expect(overlap.markers.title).toEqual([
      { eventId: a.eventId, source: 'manual_admin', value: 'Mug' },
      { eventId: d.eventId, source: 'scheduled_sync', value: 'Glass' },
    ]);
  });

  it('manual: a field set by two contenders is escalated, never decided', () => {
    const engine = createConflictEngine(
      commerceConflictConfig({
        entities: { order: { fieldStrategies: { shippingAddress: 'manual' } } },
      }),
    );
    const r = engine.resolve(
      conflict('order', [
        c('tiktok_webhook', { changes: { shippingAddress: 'A' } }, 'order'),
        c('manual_admin', { changes: { shippingAddress: 'B' } }, 'order'),
      ]),
    );
    expect(r.status).toBe('escalated');
    expect(r.escalation!.reasons.map((x) => x.code)).toContain('manual_strategy');
  });

  it('custom strategies registered by the host decide their fields; unknown names are refused', () => {
    const longest: ConflictStrategy = {
      name: 'longestTitle',
      associative: true,
      decide: ({ candidates }) => {
        const best = [...candidates].sort((x, y) => String(y.value).length - String(x.value).length)[0]!;
        return { type: 'choose', value: best.value, rule: 'longest_title' };
      },
    };
    const engine = createConflictEngine(
      commerceConflictConfig({ entities: { product: { fieldStrategies: { title: 'longestTitle' } } } }),
      { strategies: [longest] },
    );
    const r = engine.resolve(
      conflict('product', [
        c('automated_system', { changes: { title: 'Mug' } }),
        c('scheduled_sync', { changes: { title: 'Big mug' } }),
      ]),
    );
    expect([r.set.title, r.fields.title!.rule]).toEqual(['Big mug', 'longest_title']);
    expect(() =>
      createConflictEngine(commerceConflictConfig({ entities: { product: { strategy: 'nope' } } })),
    ).toThrow(UnknownStrategyError);
  });

  it('a custom strategy still sees contenders in the total order, so it is order-independent too', () => {
    const firstSeen: ConflictStrategy = {
      name: 'firstCandidate',
      associative: true,
      decide: ({ candidates }) => ({ type: 'choose', value: candidates[0]!.value, rule: 'first' }),
    };
    const engine = createConflictEngine(
      commerceConflictConfig({ fallback: { strategy: 'firstCandidate' } }),
      { strategies: [firstSeen] },
    );
    fc.assert(
      fc.property(conflictArb('product', productFields, bases.product), (x) => {
        expect(engine.resolve({ ...x, contenders: [...x.contenders].reverse() })).toEqual(engine.resolve(x));
      }),
    );
  });
});

describe('manual decisions', () => {
  const engine = createConflictEngine(commerceConflictConfig());

  it('accounting holds for any admin decision: every contender is winner, loser or merged exactly once', () => {
    const arb = anyConflictArb
      .map((x) => engine.resolve(x))
      .filter((r) => r.status === 'escalated')
      .chain((r) => {
        const fields = Object.keys(r.markers);
        const choices = fields.map((f) =>
          fc.constantFrom(...r.markers[f]!.flatMap((m) => (m.value === undefined ? [] : [m.value])), 'other'),
        );
        return fc.tuple(
          fc.constant(r),
          fc.tuple(...choices).map((vs) => Object.fromEntries(fields.map((f, i) => [f, vs[i]!]))),
        );
      });
    fc.assert(
      fc.property(arb, ([r, values]) => {
        const d = engine.decide(r, { values, adminId: 'admin-1' });
        const roles = [...(d.winner === null ? [] : [d.winner]), ...d.merged, ...d.losers].sort();
        expect(roles).toEqual(r.contenders.map((x) => x.eventId).sort());
        expect(d.after).toEqual({ ...r.before, ...values });
        expect(d.escalation).toEqual(r.escalation);
      }),
      { numRuns: 200 },
    );
  });

  it('a decision naming a field no contender touched is refused', () => {
    const r = engine.resolve(
      conflict('order', [
        c('tiktok_webhook', { changes: { totalAmount: 1500 } }, 'order'),
        c('manual_admin', { changes: { totalAmount: 1400 } }, 'order'),
      ]),
    );
    expect(r.status).toBe('escalated');
    expect(() => engine.decide(r, { values: { colour: 'red' }, adminId: 'a' })).toThrow(
      MalformedConflictInputError,
    );
    expect(() => engine.decide(r, { values: { totalAmount: 1400 }, adminId: '' })).toThrow(
      MalformedConflictInputError,
    );
  });
});

describe('bad input gets a typed error', () => {
  const engine = createConflictEngine(commerceConflictConfig());
  const good = () => c('tiktok_webhook', { changes: { quantity: 3 } }, 'inventory');

  it.each([
    [
      'unknown source',
      () => [good(), { ...good(), source: 'carrier_pigeon' }],
      UnknownSourceError,
      'CONFLICT_UNKNOWN_SOURCE',
    ],
    [
      'contender for another entity',
      () => [good(), { ...good(), entityId: 'other' }],
      EntityMismatchError,
      'CONFLICT_ENTITY_MISMATCH',
    ],
    [
      'non-numeric stock',
      () => [good(), { ...good(), changes: { quantity: 'lots' } }],
      MalformedConflictInputError,
      'CONFLICT_MALFORMED_INPUT',
    ],
    [
      'NaN delta',
      () => [good(), { ...good(), changes: undefined, deltas: { quantity: Number.NaN } }],
      MalformedConflictInputError,
      'CONFLICT_MALFORMED_INPUT',
    ],
    [
      'field set and adjusted at once',
      () => [good(), { ...good(), deltas: { quantity: 1 } }],
      MalformedConflictInputError,
      'CONFLICT_MALFORMED_INPUT',
    ],
    [
      'no field changed',
      () => [good(), { ...good(), changes: {} }],
      MalformedConflictInputError,
      'CONFLICT_MALFORMED_INPUT',
    ],
    [
      'malformed clock',
      () => [good(), { ...good(), hlc: 'tuesday' }],
      MalformedConflictInputError,
      'CONFLICT_MALFORMED_INPUT',
    ],
    [
      'same event id, different content',
      () => {
        const g = good();
        return [g, { ...g, changes: { quantity: 4 } }];
      },
      MalformedConflictInputError,
      'CONFLICT_MALFORMED_INPUT',
    ],
    [
      'unknown property',
      () => [good(), { ...good(), extra: 1 }],
      MalformedConflictInputError,
      'CONFLICT_MALFORMED_INPUT',
    ],
  ] as const)('%s', (_name, contenders, type, code) => {
    let caught: unknown;
    try {
      engine.resolve(conflict('inventory', contenders() as ContenderInput[]));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(type);
    expect(isConflictError(caught) && caught.code).toBe(code);
  });

  it('invalid configuration is refused', () => {
    expect(() =>
      createConflictEngine(commerceConflictConfig({ thresholds: { orderValue: Number.NaN } })),
    ).toThrow(MalformedConflictInputError);
    expect(() =>
      createConflictEngine(commerceConflictConfig({ entities: { inventory: { windowMs: -1 } } })),
    ).toThrow(MalformedConflictInputError);
  });
});
