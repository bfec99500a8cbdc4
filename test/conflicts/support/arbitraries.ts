/**
 * fast-check generators of contenders and conflicts for the conflict laws.
 */
import fc from 'fast-check';
import type { ConflictInput, ContenderInput } from '../../../src/conflicts/index.js';
import { COMMERCE_SOURCES } from '../../../src/commerce/conflicts/commerce-conflict-config.js';

/** Detection time used by the generators: every generated clock is at or before it (trusted). */
export const DETECTED_AT = 100_000;

/** Thresholds no generated value crosses, for laws about the non-escalated path. */
export const NO_ESCALATION = {
  thresholds: {
    orderValue: 1e12,
    paymentAmount: 1e12,
    inventoryDiscrepancyPercent: 1e12,
    crossPlatformMismatch: false,
  },
} as const;

const hlcArb = fc.record({
  wallMs: fc.integer({ min: DETECTED_AT - 6_000, max: DETECTED_AT }),
  logical: fc.integer({ min: 0, max: 3 }),
  node: fc.constantFrom('n1', 'n2', 'n3'),
});

type FieldsArb = fc.Arbitrary<Pick<ContenderInput, 'changes' | 'deltas'>>;

/** Inventory changes: absolute quantity, a delta, or a location. */
export const inventoryFields: FieldsArb = fc.oneof(
  fc.record({ changes: fc.record({ quantity: fc.integer({ min: 0, max: 200 }) }) }),
  fc.record({ deltas: fc.record({ quantity: fc.integer({ min: -20, max: 50 }).filter((d) => d !== 0) }) }),
  fc.record({
    changes: fc.record({ quantity: fc.integer({ min: 0, max: 200 }), location: fc.constantFrom('A1', 'B2') }),
  }),
);

/** Stock changes with absolute values only. */
export const absoluteStockFields: FieldsArb = fc.record({
  changes: fc.record({ quantity: fc.integer({ min: 0, max: 200 }) }),
});

/** Order changes: status and/or total. */
export const orderFields: FieldsArb = fc.record({
  changes: fc.record(
    {
      status: fc.constantFrom(
        'validated',
        'inventory_allocated',
        'paid',
        'shipped',
        'delivered',
        'cancelled',
      ),
      totalAmount: fc.integer({ min: 1, max: 2_000 }),
      note: fc.constantFrom('gift', 'rush', ''),
    },
    { requiredKeys: ['status'] },
  ),
});

/** Payment changes. */
export const paymentFields: FieldsArb = fc.record({
  changes: fc.record(
    {
      status: fc.constantFrom('pending', 'authorized', 'completed', 'failed'),
      amount: fc.integer({ min: 1, max: 1_000 }),
    },
    { requiredKeys: ['status'] },
  ),
});

/** Free-form product changes for lastWriteWins / fieldMerge. */
export const productFields: FieldsArb = fc.record({
  changes: fc
    .record(
      {
        title: fc.constantFrom('Mug', 'Cup', 'Glass'),
        price: fc.integer({ min: 1, max: 50 }),
        color: fc.constantFrom('red', 'blue'),
      },
      { requiredKeys: [] },
    )
    .filter((c) => Object.keys(c).length > 0),
});

/**
 * Contenders for one entity with unique event ids.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(contendersArb('inventory', inventoryFields), (cs) => ...));
 * ```
 */
export function contendersArb(
  entityType: string,
  fields: FieldsArb,
  options: { minLength?: number; maxLength?: number; sources?: readonly string[] } = {},
): fc.Arbitrary<ContenderInput[]> {
  const sources = options.sources ?? COMMERCE_SOURCES;
  return fc
    .uniqueArray(
      fc.record({
        eventId: fc.stringMatching(/^e[0-9a-f]{1,3}$/),
        source: fc.constantFrom(...sources),
        sourceId: fc.constantFrom('s1', 's2'),
        hlc: hlcArb,
        fields,
      }),
      {
        minLength: options.minLength ?? 2,
        maxLength: options.maxLength ?? 6,
        selector: (c) => c.eventId,
      },
    )
    .map((list) =>
      list.map(({ fields: f, ...rest }) => ({ entityType, entityId: `${entityType}-1`, ...rest, ...f })),
    );
}

/**
 * A conflict on one entity with a base state.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(conflictArb('inventory', inventoryFields, baseArb), (c) => ...));
 * ```
 */
export function conflictArb(
  entityType: string,
  fields: FieldsArb,
  base: fc.Arbitrary<Record<string, unknown>>,
  options: { minLength?: number; maxLength?: number; sources?: readonly string[] } = {},
): fc.Arbitrary<ConflictInput> {
  return fc.tuple(contendersArb(entityType, fields, options), base).map(([contenders, b]) => ({
    entityType,
    entityId: `${entityType}-1`,
    contenders,
    base: b as ConflictInput['base'] & object,
    detectedAt: DETECTED_AT,
  }));
}

/** Base states per entity type. */
export const bases = {
  inventory: fc.record({ quantity: fc.integer({ min: 0, max: 200 }) }, { requiredKeys: [] }),
  order: fc.record(
    {
      status: fc.constantFrom('received', 'validated', 'paid', 'shipped', 'delivered'),
      totalAmount: fc.integer({ min: 1, max: 2_000 }),
    },
    { requiredKeys: [] },
  ),
  payment: fc.record(
    {
      status: fc.constantFrom('pending', 'authorized', 'completed'),
      amount: fc.integer({ min: 1, max: 1_000 }),
    },
    { requiredKeys: [] },
  ),
  product: fc.record({ title: fc.constantFrom('Mug', 'Cup') }, { requiredKeys: [] }),
};

/** Any conflict of the CreatorFlow entity types, with any sources. */
export const anyConflictArb: fc.Arbitrary<ConflictInput> = fc.oneof(
  conflictArb('inventory', inventoryFields, bases.inventory),
  conflictArb('order', orderFields, bases.order),
  conflictArb('payment', paymentFields, bases.payment),
  conflictArb('product', productFields, bases.product),
);

/** A permutation of `list` driven by fast-check. */
export function permutationArb<T>(list: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...list], { minLength: list.length, maxLength: list.length });
}
