/**
 * The CreatorFlow sources, their priorities, the entity policies and the
 * TikTok Shop cross-platform rule: the conflict engine configured for this
 * domain, with the names of commerce-conflict-names.ts. The engine in
 * `src/conflicts` knows none of them.
 */
import { z } from 'zod';
import type {
  ConflictConfigInput,
  CrossPlatformRule,
  EntityPolicy,
  EscalationThresholds,
  FieldLimit,
  ImpactEstimator,
} from '../../conflicts/config.js';
import { MalformedConflictInputError } from '../../conflicts/errors.js';
import { absoluteRange, maxNumber } from '../../conflicts/pipeline/measures.js';
import {
  COMMERCE_CONFLICT_KINDS,
  COMMERCE_DETECTED_EVENT_RULE,
  STOCK_MINIMUM_RULE,
  type CommerceConflictKind,
} from './commerce-conflict-names.js';

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
  manualKind: 'tiktok_vs_manual_changes' satisfies CommerceConflictKind,
});

/**
 * Commerce's escalation thresholds: crossing one (strictly greater) hands the
 * conflict to a person.
 */
export interface CommerceThresholds extends EscalationThresholds {
  /** Largest order value (an entity's `orderValueField`). */
  orderValue: number;
  /** Largest payment amount (an entity's `paymentAmountField`). */
  paymentAmount: number;
  /** Spread of the absolute stock values (an entity's `stockFields`), in percent of the stock. */
  inventoryDiscrepancyPercent: number;
  /**
   * Distance of a reported order value from the figure its source was asked
   * to match (an entity's `amountReferenceField`: a capture against the
   * order's TikTok total), in percent of that figure.
   */
  amountDiscrepancyPercent: number;
}

/**
 * Default thresholds (from the specification).
 *
 * @example
 * ```ts
 * commerceConflictConfig({ thresholds: { ...COMMERCE_THRESHOLDS, orderValue: 2_000 } });
 * ```
 */
export const COMMERCE_THRESHOLDS: Readonly<CommerceThresholds> = Object.freeze({
  orderValue: 1000,
  paymentAmount: 500,
  inventoryDiscrepancyPercent: 10,
  amountDiscrepancyPercent: 10,
  crossPlatformMismatch: true,
});

/**
 * A commerce entity policy: the engine's, plus the fields the commerce
 * thresholds read and its stock fields. Its `minimumRule` defaults to
 * `stock_minimum`.
 */
export interface CommerceEntityPolicy extends EntityPolicy {
  /**
   * Stock fields: the engine's minimum fields (under business rules the
   * lowest count wins; deltas always apply), checked against
   * `thresholds.inventoryDiscrepancyPercent`.
   */
  stockFields?: string[];
  /** Field holding the order value, checked against `thresholds.orderValue`. */
  orderValueField?: string;
  /** Field holding the payment amount, checked against `thresholds.paymentAmount`. */
  paymentAmountField?: string;
  /**
   * Field a source sets beside `orderValueField` with the value it was asked
   * to match (the payment processor's capture carries the order's TikTok
   * total): the two more than `thresholds.amountDiscrepancyPercent` apart
   * escalate (reason `amount_discrepancy`). Needs `orderValueField`.
   */
  amountReferenceField?: string;
}

/**
 * The engine's configuration input with commerce's thresholds and policies.
 *
 * @example
 * ```ts
 * const input: CommerceConflictConfigInput = { thresholds: { orderValue: 2_000 }, entities: { order: { orderValueField: 'total' } } };
 * ```
 */
export interface CommerceConflictConfigInput extends Omit<
  ConflictConfigInput,
  'thresholds' | 'entities' | 'fallback' | 'crossPlatform'
> {
  thresholds?: Partial<CommerceThresholds>;
  entities?: Record<string, Partial<CommerceEntityPolicy>>;
  fallback?: Partial<CommerceEntityPolicy>;
  /** The platform rule; its `manualKind` defaults to `tiktok_vs_manual_changes`. */
  crossPlatform?: (Omit<CrossPlatformRule, 'manualKind'> & { manualKind?: string }) | null;
}

const ORDER_STATUS_RACE = {
  kind: 'order_status_race_condition' satisfies CommerceConflictKind,
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
export const COMMERCE_ENTITY_POLICIES: Readonly<Record<string, Readonly<Partial<CommerceEntityPolicy>>>> =
  Object.freeze({
    inventory: {
      kind: 'inventory_concurrent_update' satisfies CommerceConflictKind,
      strategy: 'businessRules',
      stockFields: ['quantity'],
    },
    order: {
      ...ORDER_STATUS_RACE,
      terminal: { field: 'status', values: ['delivered', 'shipped'], pick: 'first' },
      orderValueField: 'totalAmount',
      amountReferenceField: 'orderTotal',
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
 * spread of the absolute stock values summed over the stock fields (the
 * engine policy's minimum fields).
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
      for (const limit of policy.limits) {
        if (limit.code === 'order_value' || limit.code === 'payment_amount') {
          revenue = Math.max(revenue, maxNumber(base, contenders, limit.field));
        }
      }
      return revenue;
    },
    stockUnits: (_base, contenders, policy) => {
      let stockUnits = 0;
      for (const field of policy.minimumFields) {
        const range = absoluteRange(contenders, field);
        if (range.count >= 2) stockUnits += range.max - range.min;
      }
      return stockUnits;
    },
  });

/**
 * Conflict configuration for the commerce domain: its sources and
 * priorities, entity policies, TikTok rule, impact estimators, conflict kinds
 * and detected event (commerce-conflict-names.ts), with `input` merged over them
 * (an entity's fields over its commerce policy). Pass it wherever the engine
 * takes a `ConflictConfigInput`.
 *
 * @example
 * ```ts
 * const resolver = new ConflictResolver({ store, config: commerceConflictConfig({ thresholds: { orderValue: 2_000 } }) });
 * ```
 */
export function commerceConflictConfig(input: CommerceConflictConfigInput = {}): ConflictConfigInput {
  const thresholds = commerceThresholds(input.thresholds);
  const entities: Record<string, Partial<EntityPolicy>> = {};
  const merged: Record<string, Partial<CommerceEntityPolicy>> = {};
  for (const [type, policy] of Object.entries(COMMERCE_ENTITY_POLICIES)) merged[type] = { ...policy };
  for (const [type, policy] of Object.entries(input.entities ?? {})) {
    merged[type] = { ...merged[type], ...policy };
  }
  for (const [type, policy] of Object.entries(merged)) entities[type] = withLimits(policy, thresholds);
  return {
    ...input,
    priorities: { ...COMMERCE_SOURCE_PRIORITIES, ...input.priorities },
    thresholds: { crossPlatformMismatch: thresholds.crossPlatformMismatch },
    entities,
    // The specification's kind for commerce entity types without a policy.
    fallback: withLimits({ kind: 'cross_platform_inconsistency', ...input.fallback }, thresholds),
    crossPlatform: crossPlatformRule(input.crossPlatform),
    impact: input.impact ?? COMMERCE_IMPACT_ESTIMATORS,
    kinds: input.kinds ?? COMMERCE_CONFLICT_KINDS,
    detectedEvent: input.detectedEvent === undefined ? COMMERCE_DETECTED_EVENT_RULE : input.detectedEvent,
  };
}

/**
 * The configuration `resolve-sync-conflicts` settles under: orders carry
 * their refunds, so the order policy's `paymentAmountField` is
 * `refundedAmount` (a refund over the payment threshold, $500, needs a
 * person) unless the host's `entities.order` names another.
 *
 * @example
 * ```ts
 * commerceConflictConfig(withRefundsOnOrders({ thresholds: { paymentAmount: 800 } }));
 * ```
 */
export function withRefundsOnOrders(config: CommerceConflictConfigInput): CommerceConflictConfigInput {
  const order = config.entities?.order ?? {};
  return {
    ...config,
    entities: { ...config.entities, order: { paymentAmountField: 'refundedAmount', ...order } },
  };
}

function crossPlatformRule(rule: CommerceConflictConfigInput['crossPlatform']): CrossPlatformRule | null {
  if (rule === undefined) return TIKTOK_CROSS_PLATFORM_RULE;
  if (rule === null) return null;
  return { ...rule, manualKind: rule.manualKind ?? TIKTOK_CROSS_PLATFORM_RULE.manualKind };
}

const thresholdsSchema = z
  .object({
    orderValue: z.number().finite(),
    paymentAmount: z.number().finite(),
    inventoryDiscrepancyPercent: z.number().finite().nonnegative(),
    amountDiscrepancyPercent: z.number().finite().nonnegative(),
    crossPlatformMismatch: z.boolean(),
  })
  .partial()
  .strict();

function commerceThresholds(input: Partial<CommerceThresholds> = {}): CommerceThresholds {
  const parsed = thresholdsSchema.safeParse(input);
  if (!parsed.success) {
    throw new MalformedConflictInputError(
      'Invalid conflict configuration',
      parsed.error.issues.map((i) => ({ path: ['thresholds', ...i.path].join('.'), message: i.message })),
    );
  }
  const given = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return { ...COMMERCE_THRESHOLDS, ...given };
}

// The engine's policy: commerce's threshold fields become limits, checked in
// the order the audit has always listed them (order value, payment amount,
// stock fields; the amount discrepancy, newer, after the payment amount),
// before the host's own limits; stock fields are minimum fields under
// commerce's rule name.
function withLimits(policy: Partial<CommerceEntityPolicy>, t: CommerceThresholds): Partial<EntityPolicy> {
  const { orderValueField, paymentAmountField, amountReferenceField, stockFields = [], ...rest } = policy;
  const limits: FieldLimit[] = [];
  if (orderValueField !== undefined) {
    limits.push({
      code: 'order_value',
      field: orderValueField,
      measure: 'maximum',
      limit: t.orderValue,
      message: 'order value {value} is over {limit}',
    });
  }
  if (paymentAmountField !== undefined) {
    limits.push({
      code: 'payment_amount',
      field: paymentAmountField,
      measure: 'maximum',
      limit: t.paymentAmount,
      message: 'payment amount {value} is over {limit}',
    });
  }
  if (orderValueField !== undefined && amountReferenceField !== undefined) {
    limits.push({
      code: 'amount_discrepancy',
      field: orderValueField,
      measure: 'deviationPercent',
      reference: amountReferenceField,
      // A capture is reported when the order has usually shipped already.
      evenWhenTerminal: true,
      limit: t.amountDiscrepancyPercent,
      message: `"{field}" differs from "${amountReferenceField}" by more than {limit}% ({value}%)`,
    });
  }
  for (const field of stockFields) {
    limits.push({
      code: 'inventory_discrepancy',
      field,
      measure: 'spreadPercent',
      limit: t.inventoryDiscrepancyPercent,
      message: 'stock values of "{field}" differ by more than {limit}%',
    });
  }
  return {
    ...rest,
    minimumFields: [...new Set([...stockFields, ...(policy.minimumFields ?? [])])],
    minimumRule: policy.minimumRule ?? STOCK_MINIMUM_RULE,
    limits: [...limits, ...(policy.limits ?? [])],
  };
}
