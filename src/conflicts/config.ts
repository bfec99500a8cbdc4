/**
 * Configuration of the conflict engine: source priorities, detection windows,
 * escalation thresholds, per-entity policies, and the names a domain gives
 * (conflict kinds, minimum rules, the detected event's keys). Validated once
 * with zod and frozen.
 */
import { z } from 'zod';
import { DEFAULT_MAX_DRIFT_MS } from '../core/hlc.js';
import { MalformedConflictInputError } from './errors.js';
import type { JsonObject } from './json.js';
import {
  DEFAULT_CONFLICT_KIND,
  DEFAULT_MISMATCH_KIND,
  type ConflictKind,
  type Contender,
  type StrategyName,
} from './types.js';

/** Absorbing states of one status field. */
export interface TerminalStates {
  field: string;
  /** Terminal values, strongest first (`delivered` beats `shipped`). */
  values: string[];
  /** Among contenders reaching the same terminal value: the earliest (`'first'`) or the highest-ranked (`'rank'`). */
  pick: 'first' | 'rank';
}

/**
 * A limit on one field's values: a measure strictly greater than `limit`
 * escalates the conflict with the reason `code`. Commerce's are its order
 * value, payment amount and stock discrepancy thresholds.
 *
 * @example
 * ```ts
 * const budget: FieldLimit = {
 *   code: 'budget', field: 'estimate', measure: 'maximum', limit: 40,
 *   message: 'estimate {value} is over {limit}',
 * };
 * createConflictConfig({ entities: { task: { limits: [budget] } } });
 * ```
 */
export interface FieldLimit {
  /** The escalation reason code stored in the audit. */
  code: string;
  field: string;
  /**
   * `'maximum'`: the largest value of the field in the base and the contenders.
   * `'spreadPercent'`: the spread of at least two contenders' absolute values,
   * in percent of the base value when positive, else of the largest value.
   * `'deviationPercent'`: the largest distance of a contender's value from
   * its own `reference` value (a figure and the figure it was asked to
   * match, both set by the contender), in percent of the reference.
   */
  measure: 'maximum' | 'spreadPercent' | 'deviationPercent';
  /** `'deviationPercent'` only (and required there): the field the value is measured against. */
  reference?: string | undefined;
  /**
   * Checked even when the entity is already in a terminal state, which
   * otherwise absorbs the conflict: a figure that a person must see though
   * nothing changes by itself (a capture that differs from the order total
   * of a shipped order). Default false.
   */
  evenWhenTerminal?: boolean | undefined;
  limit: number;
  /** The escalation message; `{value}`, `{limit}` and `{field}` are replaced. */
  message: string;
}

/** How conflicts on one entity type are detected and resolved. */
export interface EntityPolicy {
  /** Detection window in ms; default {@link ConflictConfig.defaultWindowMs}. */
  windowMs?: number;
  /** Kind reported when no cross-source kind applies. */
  kind: ConflictKind;
  /** Strategy for fields without their own. */
  strategy: StrategyName;
  /** Per-field strategies. */
  fieldStrategies: Record<string, StrategyName>;
  /**
   * Numeric fields where, under business rules, the lowest absolute value wins
   * (a decrease beats an increase); deltas always apply. Commerce's are its stock fields.
   */
  minimumFields: string[];
  /**
   * The rule name a minimum field's decision records (`FieldRule.rule`, kept in
   * the audit); default {@link DEFAULT_MINIMUM_RULE}. Commerce's is `stock_minimum`.
   */
  minimumRule: string;
  /** A status whose terminal values absorb (nothing changes a completed payment or a shipped order). */
  terminal?: TerminalStates;
  /** Sources whose changes override others under business rules (payment events on payments). */
  preferredSources: string[];
  /** Limits whose crossing escalates, checked in this order; numeric fields. */
  limits: FieldLimit[];
}

/**
 * A platform whose disagreement with the other sources is a conflict kind of
 * its own: `manualKind` against a manual source, `mismatchKind` (and, with
 * `thresholds.crossPlatformMismatch`, an escalation) against any other.
 * Commerce's names TikTok Shop.
 *
 * @example
 * ```ts
 * const rule: CrossPlatformRule = {
 *   source: 'calendar_sync', name: 'the calendar', manualSources: ['board_app'],
 *   manualKind: 'calendar_vs_board_edits',
 * };
 * createConflictConfig({ priorities: { calendar_sync: 2, board_app: 1 }, crossPlatform: rule });
 * ```
 */
export interface CrossPlatformRule {
  /** The platform's source name. */
  source: string;
  /** How escalation messages name it; `source` when absent. */
  name?: string;
  /** Sources of people (admins): a disagreement with one is not a platform mismatch. */
  manualSources: string[];
  /** Kind of a conflict between the platform and a manual source. */
  manualKind: ConflictKind;
  /** Kind of a mismatch with another platform; default {@link DEFAULT_MISMATCH_KIND}. */
  mismatchKind?: ConflictKind;
}

/**
 * How the resolver's detected event names what a domain knows about the
 * entity. The owner (the base state's `ownerKey`, else `ResolveOptions.ownerId`)
 * is written under `ownerKey` on every detected event. With `quantityEvent`, a
 * conflict over a policy's first minimum field whose owner, value before and a
 * contender's value are known (non-negative integers) is appended as that
 * event type instead of `conflict.detected`, the entity id under `subjectKey`
 * and the counts as {@link QuantityConflictFields}. Commerce's names
 * `inventory.sync_conflict_detected`, `creatorId` and `productId`.
 *
 * @example
 * ```ts
 * createConflictConfig({
 *   entities: { seat: { strategy: 'businessRules', minimumFields: ['free'] } },
 *   detectedEvent: { ownerKey: 'venueId', quantityEvent: { type: 'seats.conflict_detected', subjectKey: 'showId' } },
 * });
 * ```
 */
export interface DetectedEventRule {
  /** Payload key of the entity's owner, and the base state's key it is read from. */
  ownerKey: string;
  /** The event type and entity-id key of a quantity conflict; none by default. */
  quantityEvent?: { type: string; subjectKey: string };
}

/**
 * The counts of a quantity conflict's detected event (see {@link DetectedEventRule}).
 *
 * @example
 * ```ts
 * const fields: QuantityConflictFields = { localQuantity: 50, remoteQuantity: 48, remoteSource: 'tiktok_webhook' };
 * ```
 */
export interface QuantityConflictFields {
  /** The field's value before the conflict (our side). */
  localQuantity: number;
  /** The highest-ranked contender's value that differs from ours. */
  remoteQuantity: number;
  remoteSource: string;
  /** The resolved value, when resolved automatically. */
  resolvedQuantity?: number;
}

/** Escalations of the whole configuration (per-field limits are {@link EntityPolicy.limits}). */
export interface EscalationThresholds {
  /** Escalate any mismatch of the {@link CrossPlatformRule} platform with another platform. */
  crossPlatformMismatch: boolean;
}

/**
 * One figure of a conflict's impact (reports sum it over conflicts), measured
 * over the entity's state before the contenders and the contenders.
 *
 * @example
 * ```ts
 * const disputed: ImpactEstimator = (base, contenders) => contenders.length - 1;
 * createConflictConfig({ impact: { disputed } });
 * ```
 */
export type ImpactEstimator = (
  base: JsonObject,
  contenders: readonly Contender[],
  policy: Readonly<EntityPolicy>,
) => number;

/**
 * The validated, frozen configuration.
 *
 * @example
 * ```ts
 * const config: ConflictConfig = createConflictConfig({ priorities: { board_app: 10 } });
 * policyFor(config, 'task').strategy; // the fallback's strategy
 * ```
 */
export interface ConflictConfig {
  priorities: Readonly<Record<string, number>>;
  defaultWindowMs: number;
  maxDriftMs: number;
  thresholds: Readonly<EscalationThresholds>;
  entities: Readonly<Record<string, Readonly<EntityPolicy>>>;
  /** Policy of entity types not listed in `entities`. */
  fallback: Readonly<EntityPolicy>;
  /** The platform whose mismatches are their own kind; none by default. */
  crossPlatform: Readonly<CrossPlatformRule> | null;
  /** Impact estimators by figure name, in report order; none by default. */
  impact: Readonly<Record<string, ImpactEstimator>>;
  /**
   * The kinds reports count (zero included), in report order: as given, else
   * every kind the policies and the cross-platform rule name.
   */
  kinds: readonly ConflictKind[];
  /** What the detected event names beyond the conflict; nothing by default. */
  detectedEvent: Readonly<DetectedEventRule> | null;
}

/**
 * Host input for {@link ConflictConfig}; everything optional, merged over the
 * defaults. The engine knows no source and no entity type by default: a
 * domain names them (`commerceConflictConfig()` in `@creatorflow/sync/commerce`).
 *
 * @example
 * ```ts
 * const config: ConflictConfigInput = {
 *   priorities: { board_app: 10, calendar_sync: 5 },   // source -> rank, higher wins
 *   defaultWindowMs: 5_000,                            // changes this close together compete
 *   entities: {
 *     task: { strategy: 'lastWriteWins' },
 *     note: { strategy: 'fieldMerge', fieldStrategies: { body: 'manual' } },
 *   },
 *   thresholds: { crossPlatformMismatch: false },
 * };
 * new ConflictResolver({ store, config });
 * ```
 */
export interface ConflictConfigInput {
  priorities?: Record<string, number>;
  defaultWindowMs?: number;
  maxDriftMs?: number;
  thresholds?: Partial<EscalationThresholds>;
  entities?: Record<string, Partial<EntityPolicy>>;
  fallback?: Partial<EntityPolicy>;
  crossPlatform?: CrossPlatformRule | null;
  impact?: Record<string, ImpactEstimator>;
  /** Every kind the configuration may report, in report order; a policy or rule naming another is refused. */
  kinds?: readonly ConflictKind[];
  detectedEvent?: DetectedEventRule | null;
}

const fieldName = z.string().min(1);
const kindName = z.string().min(1);
// The detected event's own keys: an owner or subject key must not overwrite one.
const DETECTED_KEYS = new Set([
  'conflictId',
  'entityType',
  'entityId',
  'kind',
  'contenders',
  'escalated',
  'localQuantity',
  'remoteQuantity',
  'remoteSource',
  'resolvedQuantity',
]);
const payloadKey = fieldName.refine((k) => !DETECTED_KEYS.has(k), 'is a key of the detected event itself');
const terminalSchema = z.object({
  field: fieldName,
  values: z.array(z.string().min(1)).min(1),
  pick: z.enum(['first', 'rank']),
});
const policySchema = z
  .object({
    windowMs: z.number().int().nonnegative(),
    kind: kindName,
    strategy: z.string().min(1),
    fieldStrategies: z.record(fieldName, z.string().min(1)),
    minimumFields: z.array(fieldName),
    minimumRule: z.string().min(1),
    terminal: terminalSchema,
    preferredSources: z.array(z.string().min(1)),
    limits: z.array(
      z
        .object({
          code: z.string().min(1),
          field: fieldName,
          measure: z.enum(['maximum', 'spreadPercent', 'deviationPercent']),
          reference: fieldName.optional(),
          evenWhenTerminal: z.boolean().optional(),
          limit: z.number().finite(),
          message: z.string(),
        })
        .strict()
        .refine((l) => (l.measure === 'deviationPercent') === (l.reference !== undefined), {
          message: "a 'deviationPercent' limit names its reference, no other limit does",
        }),
    ),
  })
  .partial()
  .strict();
const configSchema = z
  .object({
    priorities: z.record(z.string().min(1), z.number().finite()),
    defaultWindowMs: z.number().int().nonnegative(),
    maxDriftMs: z.number().finite().nonnegative(),
    thresholds: z.object({ crossPlatformMismatch: z.boolean() }).partial().strict(),
    entities: z.record(z.string().min(1), policySchema),
    fallback: policySchema,
    crossPlatform: z
      .object({
        source: z.string().min(1),
        name: z.string().min(1).optional(),
        manualSources: z.array(z.string().min(1)),
        manualKind: kindName,
        mismatchKind: kindName.optional(),
      })
      .strict()
      .nullable(),
    impact: z.record(
      z.string().min(1),
      z.custom<ImpactEstimator>((v) => typeof v === 'function', 'expected a function'),
    ),
    kinds: z.array(kindName).min(1),
    detectedEvent: z
      .object({
        ownerKey: payloadKey,
        quantityEvent: z
          .object({ type: z.string().min(1), subjectKey: payloadKey })
          .strict()
          .optional(),
      })
      .strict()
      .nullable(),
  })
  .partial()
  .strict();

/**
 * The rule name of a minimum field's decision when its policy names none.
 *
 * @example
 * ```ts
 * policyFor(createConflictConfig(), 'task').minimumRule === DEFAULT_MINIMUM_RULE; // true
 * ```
 */
export const DEFAULT_MINIMUM_RULE = 'minimum';

// Generic: a domain names its own kinds and rules in its policies (commerce does).
const BASE_POLICY: EntityPolicy = {
  kind: DEFAULT_CONFLICT_KIND,
  strategy: 'lastWriteWins',
  fieldStrategies: {},
  minimumFields: [],
  minimumRule: DEFAULT_MINIMUM_RULE,
  preferredSources: [],
  limits: [],
};

/**
 * Default thresholds.
 *
 * @example
 * ```ts
 * createConflictConfig({ thresholds: { ...DEFAULT_THRESHOLDS, crossPlatformMismatch: false } });
 * ```
 */
export const DEFAULT_THRESHOLDS: EscalationThresholds = {
  crossPlatformMismatch: true,
};

/**
 * Default detection window in ms.
 *
 * @example
 * ```ts
 * createConflictConfig({ entities: { order: { windowMs: DEFAULT_WINDOW_MS * 2 } } });
 * ```
 */
export const DEFAULT_WINDOW_MS = 5_000;

/**
 * Validate a configuration, merge it over the defaults and freeze it.
 * Throws {@link MalformedConflictInputError} on bad input.
 *
 * @example
 * ```ts
 * const config = createConflictConfig({
 *   priorities: { board_app: 10 },
 *   entities: { task: { windowMs: 2_000 }, note: { strategy: 'fieldMerge' } },
 * });
 * ```
 */
export function createConflictConfig(input: ConflictConfigInput = {}): ConflictConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new MalformedConflictInputError(
      'Invalid conflict configuration',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const c = parsed.data;
  const entities: Record<string, EntityPolicy> = {};
  for (const [type, policy] of Object.entries(c.entities ?? {})) {
    entities[type] = freezePolicy({ ...BASE_POLICY, ...stripUndefined(policy) });
  }
  const given = c.crossPlatform ?? null;
  const rule: Readonly<CrossPlatformRule> | null =
    given === null
      ? null
      : Object.freeze({
          ...stripUndefined(given),
          manualSources: Object.freeze([...given.manualSources]) as string[],
        });
  const fallback = freezePolicy({ ...BASE_POLICY, ...stripUndefined(c.fallback ?? {}) });
  const kinds = kindsOf(c.kinds, [...Object.values(entities), fallback], rule);
  const detected = c.detectedEvent ?? null;
  return Object.freeze({
    priorities: Object.freeze({ ...c.priorities }),
    defaultWindowMs: c.defaultWindowMs ?? DEFAULT_WINDOW_MS,
    maxDriftMs: c.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS,
    thresholds: Object.freeze({ ...DEFAULT_THRESHOLDS, ...stripUndefined(c.thresholds ?? {}) }),
    entities: Object.freeze(entities),
    fallback,
    crossPlatform: rule,
    impact: Object.freeze({ ...c.impact }),
    kinds,
    detectedEvent:
      detected === null
        ? null
        : Object.freeze({
            ownerKey: detected.ownerKey,
            ...(detected.quantityEvent
              ? { quantityEvent: Object.freeze({ ...detected.quantityEvent }) }
              : {}),
          }),
  });
}

// The kinds a configuration reports: the given list (which must name every kind
// the policies and the rule can produce), else those kinds in first-use order.
function kindsOf(
  given: readonly string[] | undefined,
  policies: readonly Readonly<EntityPolicy>[],
  rule: Readonly<CrossPlatformRule> | null,
): readonly ConflictKind[] {
  const used = new Set(policies.map((p) => p.kind));
  if (rule !== null) {
    used.add(rule.manualKind);
    used.add(rule.mismatchKind ?? DEFAULT_MISMATCH_KIND);
  }
  if (given === undefined) return Object.freeze([...used]);
  const unknown = [...used].filter((k) => !given.includes(k));
  if (unknown.length > 0) {
    throw new MalformedConflictInputError(
      'Invalid conflict configuration',
      unknown.map((k) => ({ path: 'kinds', message: `kind "${k}" is used but not listed` })),
    );
  }
  return Object.freeze([...new Set(given)]);
}

/**
 * The policy of an entity type (its own or the fallback).
 *
 * @example
 * ```ts
 * policyFor(config, 'seat').minimumFields // ['free']
 * ```
 */
export function policyFor(config: ConflictConfig, entityType: string): Readonly<EntityPolicy> {
  return Object.hasOwn(config.entities, entityType) ? config.entities[entityType]! : config.fallback;
}

/**
 * The detection window of an entity type in ms.
 *
 * @example
 * ```ts
 * windowFor(config, 'order') // 5000 unless configured
 * ```
 */
export function windowFor(config: ConflictConfig, entityType: string): number {
  return policyFor(config, entityType).windowMs ?? config.defaultWindowMs;
}

function freezePolicy(p: EntityPolicy): EntityPolicy {
  const frozen: EntityPolicy = {
    ...p,
    fieldStrategies: Object.freeze({ ...p.fieldStrategies }),
    minimumFields: Object.freeze([...p.minimumFields]) as string[],
    preferredSources: Object.freeze([...p.preferredSources]) as string[],
    limits: Object.freeze(p.limits.map((l) => Object.freeze({ ...l }))) as FieldLimit[],
  };
  if (p.terminal) {
    frozen.terminal = Object.freeze({
      ...p.terminal,
      values: Object.freeze([...p.terminal.values]) as string[],
    });
  }
  return Object.freeze(frozen);
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
