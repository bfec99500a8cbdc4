/**
 * The CreatorFlow sources, their priorities, the entity policies and the
 * TikTok Shop cross-platform rule: the conflict engine configured for this
 * domain. The engine in `src/conflicts` knows none of them.
 */
import type {
  ConflictConfigInput,
  CrossPlatformRule,
  EntityPolicy,
  ImpactEstimator,
} from '../../conflicts/config.js';
import { absoluteRange, maxNumber } from '../../conflicts/pipeline/measures.js';

/**
 * The TikTok Shop source.
 *
 * @example
 * ```ts
 * contenders.some((c) => c.source === TIKTOK_SOURCE);
 * ```
 */
export const TIKTOK_SOURCE = 'tiktok_webhook';
/**
 * The admin source.
 *
 * @example
 * ```ts
 * contenders.some((c) => c.source === MANUAL_SOURCE);
 * ```
 */
export const MANUAL_SOURCE = 'manual_admin';

/**
 * The sources of the specification and their priorities (higher wins).
 *
 * @example
 * ```ts
 * commerceConflictConfig({ priorities: { ...COMMERCE_SOURCE_PRIORITIES, shopify_webhook: 9 } });
 * ```
 */
export const COMMERCE_SOURCE_PRIORITIES = Object.freeze({
  [TIKTOK_SOURCE]: 10,
  payment_processor: 9,
  shipping_provider: 8,
  [MANUAL_SOURCE]: 7,
  automated_system: 6,
  scheduled_sync: 5,
} as const);

/** A commerce source name. */
export type CommerceSource = keyof typeof COMMERCE_SOURCE_PRIORITIES;

/**
 * The commerce source names, highest priority first.
 *
 * @example
 * ```ts
 * COMMERCE_SOURCES.includes('tiktok_webhook'); // true
 * ```
 */
export const COMMERCE_SOURCES = Object.freeze(Object.keys(COMMERCE_SOURCE_PRIORITIES) as CommerceSource[]);

/**
 * TikTok Shop against another platform is a conflict of its own kind (and
 * escalates by default); against an admin it is `tiktok_vs_manual_changes`.
 *
 * @example
 * ```ts
 * createConflictEngine({ crossPlatform: TIKTOK_CROSS_PLATFORM_RULE, priorities: COMMERCE_SOURCE_PRIORITIES });
 * ```
 */
export const TIKTOK_CROSS_PLATFORM_RULE: Readonly<CrossPlatformRule> = Object.freeze({
  source: TIKTOK_SOURCE,
  name: 'TikTok Shop',
  manualSources: Object.freeze([MANUAL_SOURCE]) as string[],
});

const ORDER_STATUS_RACE = {
  kind: 'order_status_race_condition',
  strategy: 'businessRules',
} as const satisfies Partial<EntityPolicy>;

/**
 * The policies of the CreatorFlow entities (merged over the engine's base policy).
 *
 * @example
 * ```ts
 * COMMERCE_ENTITY_POLICIES.payment.terminal; // { field: 'status', values: ['completed'], pick: 'first' }
 * ```
 */
export const COMMERCE_ENTITY_POLICIES: Readonly<Record<string, Readonly<Partial<EntityPolicy>>>> =
  Object.freeze({
    inventory: { kind: 'inventory_concurrent_update', strategy: 'businessRules', stockFields: ['quantity'] },
    order: {
      ...ORDER_STATUS_RACE,
      terminal: { field: 'status', values: ['delivered', 'shipped'], pick: 'first' },
      orderValueField: 'totalAmount',
    },
    payment: {
      ...ORDER_STATUS_RACE,
      terminal: { field: 'status', values: ['completed'], pick: 'first' },
      preferredSources: ['payment_processor'],
      paymentAmountField: 'amount',
    },
    shipment: {
      ...ORDER_STATUS_RACE,
      terminal: { field: 'status', values: ['delivered', 'shipped'], pick: 'first' },
      preferredSources: ['shipping_provider'],
    },
  });

/**
 * Commerce's impact figures, in the audit's order: `revenue` is the largest
 * order value or payment amount at stake (0 when none), `stockUnits` the
 * spread of the absolute stock values summed over the stock fields.
 *
 * @example
 * ```ts
 * createConflictConfig({ impact: COMMERCE_IMPACT_ESTIMATORS }); // impact { revenue, stockUnits }
 * ```
 */
export const COMMERCE_IMPACT_ESTIMATORS: Readonly<Record<'revenue' | 'stockUnits', ImpactEstimator>> =
  Object.freeze({
    revenue: (base, contenders, policy) => {
      let revenue = 0;
      if (policy.orderValueField !== undefined) {
        revenue = Math.max(revenue, maxNumber(base, contenders, policy.orderValueField));
      }
      if (policy.paymentAmountField !== undefined) {
        revenue = Math.max(revenue, maxNumber(base, contenders, policy.paymentAmountField));
      }
      return revenue;
    },
    stockUnits: (_base, contenders, policy) => {
      let stockUnits = 0;
      for (const field of policy.stockFields) {
        const range = absoluteRange(contenders, field);
        if (range.count >= 2) stockUnits += range.max - range.min;
      }
      return stockUnits;
    },
  });

/**
 * Conflict configuration for the commerce domain: its sources and
 * priorities, entity policies, TikTok rule and impact estimators, with `input` merged over them
 * (an entity's fields over its commerce policy). Pass it wherever the engine
 * takes a `ConflictConfigInput`.
 *
 * @example
 * ```ts
 * const resolver = new ConflictResolver({ store, config: commerceConflictConfig({ thresholds: { orderValue: 2_000 } }) });
 * ```
 */
export function commerceConflictConfig(input: ConflictConfigInput = {}): ConflictConfigInput {
  const entities: Record<string, Partial<EntityPolicy>> = {};
  for (const [type, policy] of Object.entries(COMMERCE_ENTITY_POLICIES)) entities[type] = { ...policy };
  for (const [type, policy] of Object.entries(input.entities ?? {})) {
    entities[type] = { ...entities[type], ...policy };
  }
  return {
    ...input,
    priorities: { ...COMMERCE_SOURCE_PRIORITIES, ...input.priorities },
    entities,
    // The specification's kind for commerce entity types without a policy.
    fallback: { kind: 'cross_platform_inconsistency', ...input.fallback },
    crossPlatform: input.crossPlatform === undefined ? TIKTOK_CROSS_PLATFORM_RULE : input.crossPlatform,
    impact: input.impact ?? COMMERCE_IMPACT_ESTIMATORS,
  };
}
