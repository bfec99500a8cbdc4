/**
 * The vocabulary of the conflict engine: sources, conflict kinds, contenders
 * and resolutions. Pure data; no I/O.
 */
import type { HlcTimestamp } from '../core/hlc.js';
import type { Json, JsonObject } from './json.js';

/**
 * A source name (`ConflictConfig.priorities` gives each its rank; higher wins).
 * Commerce's are `COMMERCE_SOURCES` in `@creatorflow/sync/commerce`.
 */
export type SourceName = string;

/**
 * A kind of conflict, as reports count it and the audit stores it. Kinds are
 * configuration: an entity policy names its own (`EntityPolicy.kind`, default
 * {@link DEFAULT_CONFLICT_KIND}) and a `CrossPlatformRule` names the kinds of
 * its platform's disagreements. Commerce's are `COMMERCE_CONFLICT_KINDS` in
 * `@creatorflow/sync/commerce`.
 *
 * @example
 * ```ts
 * const kind: ConflictKind = 'task_edit_race';
 * createConflictConfig({ entities: { task: { kind } }, kinds: [kind, DEFAULT_CONFLICT_KIND] });
 * ```
 */
export type ConflictKind = string;

/**
 * The kind of a conflict whose policy names none.
 *
 * @example
 * ```ts
 * policyFor(createConflictConfig(), 'task').kind === DEFAULT_CONFLICT_KIND; // true
 * ```
 */
export const DEFAULT_CONFLICT_KIND = 'concurrent_update';

/**
 * The kind of a cross-platform mismatch when its `CrossPlatformRule` names none.
 *
 * @example
 * ```ts
 * record.resolution.kind === DEFAULT_MISMATCH_KIND; // the platform disagreed with another platform
 * ```
 */
export const DEFAULT_MISMATCH_KIND = 'cross_platform_inconsistency';

/**
 * Names of the built-in strategies.
 *
 * @example
 * ```ts
 * BUILT_IN_STRATEGIES.includes('fieldMerge'); // true
 * ```
 */
export const BUILT_IN_STRATEGIES = ['lastWriteWins', 'businessRules', 'manual', 'fieldMerge'] as const;
/** A built-in strategy name, or one registered by the host. */
export type StrategyName = (typeof BUILT_IN_STRATEGIES)[number] | (string & {});

/**
 * One change competing for an entity, as given to the engine.
 *
 * @example
 * ```ts
 * const c: ContenderInput = {
 *   entityType: 'inventory', entityId: 'sku-1', source: 'tiktok_webhook', sourceId: 'shop-7',
 *   eventId: 'evt-1', hlc: { wallMs: Date.now(), logical: 0, node: 'tiktok' },
 *   changes: { quantity: 8 },   // absolute values
 *   deltas: { reserved: 2 },    // increments, never compared with absolutes
 * };
 * ```
 */
export interface ContenderInput {
  entityType: string;
  entityId: string;
  source: SourceName;
  /** The source instance (shop, account, admin, node) — a tie-break of the total order. */
  sourceId: string;
  /** Unique id of the change (the event id); a duplicate id is the same contender. */
  eventId: string;
  /** When the change happened, on the hybrid logical clock (object or `formatHlc` string). */
  hlc: HlcTimestamp | string;
  /** Fields set to absolute values. */
  changes?: JsonObject;
  /** Numeric fields adjusted by an amount (stock movements); kept apart from absolute values. */
  deltas?: Record<string, number>;
}

/** A validated contender, ranked for one conflict. */
export interface Contender {
  entityType: string;
  entityId: string;
  source: SourceName;
  sourceId: string;
  eventId: string;
  hlc: HlcTimestamp;
  changes: JsonObject;
  deltas: Record<string, number>;
  /** The source's priority. */
  priority: number;
  /** False when the HLC wall time was beyond the drift bound at detection; it then ranks below trusted times. */
  trusted: boolean;
}

/** A conflict to resolve: the contenders for one entity and that entity's state before them. */
export interface ConflictInput {
  entityType: string;
  entityId: string;
  contenders: readonly ContenderInput[];
  /** The entity's state before the contenders (needed to fold deltas and to guard terminal states). */
  base?: JsonObject;
  /** Physical time of detection in ms; HLC times further ahead than the drift bound are not trusted. */
  detectedAt: number;
}

/** Why a conflict was handed to a person. */
export interface EscalationReason {
  /**
   * `'cross_platform_mismatch'`, `'overlapping_fields'`, `'manual_strategy'`,
   * `'strategy'`, or the `code` of a crossed `FieldLimit` (commerce's
   * `order_value`, `payment_amount`, `inventory_discrepancy`).
   */
  code: 'cross_platform_mismatch' | 'overlapping_fields' | 'manual_strategy' | 'strategy' | (string & {});
  message: string;
  field?: string;
  /** The measured value (a maximum, or a spread or deviation in percent). */
  value?: number;
  /** The threshold it crossed. */
  threshold?: number;
}

/** One contender's value for a field, as shown in a conflict marker. */
export interface ConflictMarker {
  eventId: string;
  source: SourceName;
  /** The absolute value set, when the contender set one. */
  value?: Json;
  /** The adjustment, when the contender adjusted the field. */
  delta?: number;
}

/** How one field was decided. */
export interface FieldRule {
  strategy: StrategyName;
  /** The rule applied, e.g. a policy's `minimumRule`, `'highest_rank'`, `'deltas_summed'`. */
  rule: string;
  /** Event ids whose values made the field's result. */
  contributors: string[];
}

/** A contender's part in a resolution. */
export type ContenderRole = 'winner' | 'loser' | 'merged' | 'pending';

/**
 * Impact of a conflict, for reports: one figure per impact estimator of the
 * configuration (`ConflictConfig.impact`), e.g. commerce's `revenue` and `stockUnits`.
 */
export type ConflictImpact = Record<string, number>;

/**
 * The outcome of resolving one conflict: deterministic in its input (the
 * contenders' order does not matter).
 */
export interface Resolution {
  /** Derived from the entity and the contenders' event ids, so a repeat is recognisable. */
  conflictId: string;
  entityType: string;
  entityId: string;
  kind: ConflictKind;
  status: 'resolved' | 'escalated';
  /** The entity's default strategy. */
  strategy: StrategyName;
  /** The entity-level rule: `'terminal_state_absorbs'`, `'terminal_state_wins'`, `'per_field'` or `'escalated'`. */
  rule: string;
  /** Per field, how it was decided (empty when escalated or absorbed). */
  fields: Record<string, FieldRule>;
  /** Contenders in the total order (strongest first). */
  contenders: Contender[];
  winner: string | null;
  losers: string[];
  merged: string[];
  /** Contenders waiting for a manual decision (escalated only). */
  pending: string[];
  /** Absolute values the resolution sets. */
  set: JsonObject;
  /** Adjustments the resolution applies where no base value was known. */
  adjust: Record<string, number>;
  before: JsonObject;
  /** The entity's state after the resolution (null while escalated). */
  after: JsonObject | null;
  /** Per contested field, every contender's value (fieldMerge overlaps and escalations). */
  markers: Record<string, ConflictMarker[]>;
  escalation: { reasons: EscalationReason[] } | null;
  impact: ConflictImpact;
}

/**
 * Who decided, as the host's access layer names them (commerce: `actorOf(principal)`,
 * `{ kind: 'admin', id }`); its `id` is the decision's `adminId`.
 *
 * @example
 * ```ts
 * const actor: DecisionActor = { kind: 'admin', id: 'admin-1' };
 * ```
 */
export interface DecisionActor {
  kind: string;
  id: string;
  requestedBy?: string;
}

/** A decision taken by an admin for an escalated conflict. */
export interface ManualDecision {
  /** Final absolute values of the fields the admin decided; other fields keep their state. */
  values: JsonObject;
  adminId: string;
  note?: string;
  /**
   * Recorded as `actor` in the metadata of the decision's `conflict.resolved`
   * and in the audit (`manualOverride.actor`); its `id` must be `adminId`.
   */
  actor?: DecisionActor;
}
