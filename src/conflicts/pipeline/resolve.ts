/**
 * The pure resolution of one conflict. Steps, each a function of the whole
 * (deduplicated, totally ordered) contender set:
 *   1. the entity is already in a terminal state -> nothing changes (unless a
 *      limit checked `evenWhenTerminal` is crossed -> escalate);
 *   2. a threshold is crossed -> escalate;
 *   3. a contender reaches a terminal state -> it wins the entity;
 *   4. otherwise each field: its strategy picks the absolute value, deltas
 *      always apply on top (decreases first);
 *   5. any strategy escalation -> escalate the whole conflict.
 */
import type { ConflictConfig, TerminalStates } from '../config.js';
import { classifyConflict } from './classify.js';
import { conflictIdFor } from './conflict-id.js';
import { prepareConflict, type PreparedConflict } from './contender.js';
import { measureImpact, thresholdReasons } from './escalation.js';
import { jsonEquals, type Json, type JsonObject } from '../json.js';
import type { ConflictStrategy, FieldCandidate } from './strategies/strategy.js';
import { compareContenders, compareEarliest } from './total-order.js';
import type {
  ConflictInput,
  ConflictMarker,
  Contender,
  EscalationReason,
  FieldRule,
  Resolution,
} from '../types.js';

/**
 * Resolve a conflict. Pure: the same input (in any contender order) gives the same resolution.
 *
 * @example
 * ```ts
 * const r = resolveConflict({ entityType: 'inventory', entityId: 'sku-1', contenders, base: { quantity: 10 },
 *   detectedAt: Date.now() }, config, registry);
 * if (r.status === 'resolved') console.log(r.after, r.winner);
 * ```
 */
export function resolveConflict(
  input: ConflictInput,
  config: ConflictConfig,
  strategies: ReadonlyMap<string, ConflictStrategy>,
): Resolution {
  const p = prepareConflict(input, config);
  const base = p.base;
  const contenders = p.contenders;
  const terminal = p.policy.terminal;
  const eventIds = ids(contenders);
  const head: Head = {
    conflictId: conflictIdFor(p.entityType, p.entityId, eventIds),
    kind: classifyConflict(contenders, p.policy, config.crossPlatform),
    impact: measureImpact(base, contenders, p.policy, config.impact),
  };

  if (terminal && isTerminal(base[terminal.field], terminal.values)) {
    // Nothing changes by itself, but some figures still need a person.
    const overTerminal = thresholdReasons(base, contenders, p.policy, config, true);
    if (overTerminal.length > 0) return escalate(p, head, eventIds, overTerminal);
    return assemble(p, head, {
      status: 'resolved',
      rule: 'terminal_state_absorbs',
      fields: {},
      winner: null,
      losers: eventIds,
      merged: [],
      pending: [],
      set: {},
      adjust: {},
      after: { ...base },
      markers: {},
      escalation: null,
    });
  }

  const thresholds = thresholdReasons(base, contenders, p.policy, config);
  if (thresholds.length > 0) return escalate(p, head, eventIds, thresholds);

  if (terminal) {
    const winner = pickTerminal(
      authoritative(contenders, terminal.field, p.policy.preferredSources),
      terminal,
    );
    if (winner) return terminalWins(p, head, eventIds, winner, strategies);
  }

  const decided = decideFields(p, contenders, strategies, null);
  if (decided.reasons) return escalate(p, head, eventIds, decided.reasons);
  const { set, adjust, fields, contributes } = decided;

  const merged: string[] = [];
  const losers: string[] = [];
  let winner: string | null = null;
  for (let i = 0; i < contenders.length; i++) {
    const id = contenders[i]!.eventId;
    if (contributes[i] !== true) losers.push(id);
    else if (winner === null) winner = id;
    else merged.push(id);
  }
  return assemble(p, head, {
    status: 'resolved',
    rule: 'per_field',
    fields,
    winner,
    losers,
    merged,
    pending: [],
    set,
    adjust,
    after: { ...base, ...set },
    markers: {},
    escalation: null,
  });
}

/** Per-field decisions over some contenders (all of them, or those a terminal winner leaves). */
interface FieldDecisions {
  set: JsonObject;
  adjust: Record<string, number>;
  fields: Record<string, FieldRule>;
  reasons: EscalationReason[] | undefined;
  /** contributes[i] === true: contenders[i] made some field's result (the roles come from this). */
  contributes: boolean[];
}

// Step 4: each touched field (except `skip`'s): its strategy picks the absolute value, deltas apply on top.
function decideFields(
  p: PreparedConflict,
  contenders: readonly Contender[],
  strategies: ReadonlyMap<string, ConflictStrategy>,
  skip: JsonObject | null,
): FieldDecisions {
  const base = p.base;
  const set: JsonObject = {};
  const adjust: Record<string, number> = {};
  const fields: Record<string, FieldRule> = {};
  let reasons: EscalationReason[] | undefined;
  const contributes: boolean[] = [];
  for (const field of touchedFields(contenders)) {
    if (skip !== null && Object.hasOwn(skip, field)) continue;
    // Own keys only: a field named like an Object.prototype member ("constructor") is just a field.
    const strategyName =
      (Object.hasOwn(p.policy.fieldStrategies, field) ? p.policy.fieldStrategies[field] : undefined) ??
      p.policy.strategy;
    const candidates: FieldCandidate[] = [];
    let adjusters: Contender[] | undefined;
    // A contender sets a field or adjusts it, never both (validated).
    for (const c of contenders) {
      if (Object.hasOwn(c.changes, field)) candidates.push({ contender: c, value: c.changes[field]! });
      else if (Object.hasOwn(c.deltas, field)) (adjusters ??= []).push(c);
    }
    let value: Json | undefined = Object.hasOwn(base, field) ? base[field] : undefined;
    let rule = 'deltas_summed';
    let decided = false;
    if (candidates.length > 0) {
      const decision = strategies.get(strategyName)!.decide({
        entityType: p.entityType,
        entityId: p.entityId,
        field,
        base: base[field],
        candidates,
        policy: p.policy,
      });
      if (decision.type === 'escalate') {
        (reasons ??= []).push({ code: decision.code, field, message: decision.message });
        continue;
      }
      value = decision.value;
      rule = adjusters ? `${decision.rule}+deltas` : decision.rule;
      decided = true;
    }
    if (adjusters) {
      const sum = sumDeltas(adjusters, field);
      if (typeof value === 'number') set[field] = value + sum;
      else adjust[field] = sum;
    } else {
      set[field] = value!;
    }
    // Contributors in the total order: candidates holding the chosen value, and every adjuster.
    const fieldContributors: string[] = [];
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[i]!;
      const counts = Object.hasOwn(c.changes, field)
        ? decided && jsonEquals(c.changes[field]!, value!)
        : Object.hasOwn(c.deltas, field);
      if (counts) {
        fieldContributors.push(c.eventId);
        contributes[i] = true;
      }
    }
    fields[field] = { strategy: strategyName, rule, contributors: fieldContributors };
  }
  return { set, adjust, fields, reasons, contributes };
}

/** What every outcome shares: computed once, before deciding. */
interface Head {
  conflictId: string;
  kind: Resolution['kind'];
  impact: Resolution['impact'];
}

/** What depends on the outcome. */
type Outcome = Pick<
  Resolution,
  | 'status'
  | 'rule'
  | 'fields'
  | 'winner'
  | 'losers'
  | 'merged'
  | 'pending'
  | 'set'
  | 'adjust'
  | 'after'
  | 'markers'
  | 'escalation'
>;

// One literal per resolution, in the public key order; each outcome allocates only its own parts.
function assemble(p: PreparedConflict, head: Head, o: Outcome): Resolution {
  return {
    conflictId: head.conflictId,
    entityType: p.entityType,
    entityId: p.entityId,
    kind: head.kind,
    status: o.status,
    strategy: p.policy.strategy,
    rule: o.rule,
    fields: o.fields,
    contenders: p.contenders,
    winner: o.winner,
    losers: o.losers,
    merged: o.merged,
    pending: o.pending,
    set: o.set,
    adjust: o.adjust,
    before: p.base, // prepareConflict's own copy of the input
    after: o.after,
    markers: o.markers,
    escalation: o.escalation,
    impact: head.impact,
  };
}

// A contender reaching a terminal state wins the whole entity: its fields are
// final. Fields it leaves alone are decided per field from the contenders that
// happened no later than it (a tracking number set just before the delivery
// stays), plus the preferred sources (the payment processor's other fields on a
// payment); changes after a terminal state are lost, as they are on a terminal base.
function terminalWins(
  p: PreparedConflict,
  head: Head,
  eventIds: string[],
  winner: Contender,
  strategies: ReadonlyMap<string, ConflictStrategy>,
): Resolution {
  const base = p.base;
  const set: JsonObject = { ...winner.changes };
  const adjust: Record<string, number> = {};
  const fields: Record<string, FieldRule> = {};
  for (const [field, delta] of Object.entries(winner.deltas)) {
    const b = base[field];
    if (typeof b === 'number') set[field] = b + delta;
    else adjust[field] = delta;
  }
  for (const field of [...Object.keys(winner.changes), ...Object.keys(winner.deltas)].sort()) {
    fields[field] = {
      strategy: p.policy.strategy,
      rule: 'terminal_state_wins',
      contributors: [winner.eventId],
    };
  }
  const others: Contender[] = [];
  for (const c of p.contenders) {
    if (c === winner) continue;
    if (compareEarliest(c, winner) < 0 || p.policy.preferredSources.includes(c.source)) others.push(c);
  }
  const own: JsonObject = { ...winner.changes };
  for (const field of Object.keys(winner.deltas)) own[field] = null;
  const rest = decideFields(p, others, strategies, own);
  if (rest.reasons) return escalate(p, head, eventIds, rest.reasons);
  Object.assign(set, rest.set);
  Object.assign(adjust, rest.adjust);
  Object.assign(fields, rest.fields);
  const merged: string[] = [];
  const losers: string[] = [];
  for (const c of p.contenders) {
    if (c === winner) continue;
    const i = others.indexOf(c);
    if (i >= 0 && rest.contributes[i] === true) merged.push(c.eventId);
    else losers.push(c.eventId);
  }
  return assemble(p, head, {
    status: 'resolved',
    rule: 'terminal_state_wins',
    fields: sortedKeys(fields),
    winner: winner.eventId,
    losers,
    merged,
    pending: [],
    set,
    adjust,
    after: { ...base, ...set },
    markers: {},
    escalation: null,
  });
}

// The same object with its keys in code-unit order (field rules are listed sorted).
function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

// Preferred sources are the authority on the terminal field: when one of them sets it in the
// window, only their values can reach a terminal state (a sync's 'completed' does not beat the
// payment processor's 'failed').
function authoritative(
  contenders: readonly Contender[],
  field: string,
  preferred: readonly string[],
): readonly Contender[] {
  if (preferred.length === 0) return contenders;
  const fromPreferred = contenders.filter(
    (c) => preferred.includes(c.source) && Object.hasOwn(c.changes, field),
  );
  return fromPreferred.length > 0 ? fromPreferred : contenders;
}

/**
 * Sum the deltas of `field`, decreases first, in a fixed order so floating-point
 * rounding is the same for every arrival order.
 *
 * @example
 * ```ts
 * sumDeltas([restockPlus50, saleMinus2], 'quantity') // 48
 * ```
 */
export function sumDeltas(adjusters: readonly Contender[], field: string): number {
  // Insertion sort of a copy: adjusters are few, and this avoids a wrapper object per delta.
  const sorted = [...adjusters];
  for (let i = 1; i < sorted.length; i++) {
    const c = sorted[i]!;
    const d = c.deltas[field]!;
    let j = i - 1;
    for (; j >= 0; j--) {
      const o = sorted[j]!;
      const od = o.deltas[field]!;
      if (od - d < 0 || (od === d && compareContenders(o, c) <= 0)) break;
      sorted[j + 1] = o;
    }
    sorted[j + 1] = c;
  }
  let sum = 0;
  for (const c of sorted) sum += c.deltas[field]!;
  return sum;
}

/**
 * The fields any contender sets or adjusts, sorted.
 *
 * @example
 * ```ts
 * touchedFields(contenders) // ['quantity', 'reserved']
 * ```
 */
export function touchedFields(contenders: readonly Contender[]): string[] {
  const fields: string[] = [];
  for (const c of contenders) {
    addOwnKeys(fields, c.changes);
    addOwnKeys(fields, c.deltas);
  }
  return sortStrings(fields);
}

// Code-unit order, as Array#sort without a comparator; an insertion sort for the usual handful.
function sortStrings(list: string[]): string[] {
  if (list.length > 16) return list.sort();
  for (let i = 1; i < list.length; i++) {
    const s = list[i]!;
    let j = i - 1;
    for (; j >= 0 && list[j]! > s; j--) list[j + 1] = list[j]!;
    list[j + 1] = s;
  }
  return list;
}

// Adds the own keys of `o` not yet in `fields`; a linear scan, as a handful of fields is the rule.
function addOwnKeys(fields: string[], o: object): void {
  for (const k in o) if (Object.hasOwn(o, k) && !fields.includes(k)) fields.push(k);
}

/**
 * Every contender's value per touched field, in the total order: what an admin chooses from.
 *
 * @example
 * ```ts
 * markersFor(contenders).quantity // [{ eventId: 'e1', source: 'tiktok_webhook', value: 8 }, ...]
 * ```
 */
export function markersFor(contenders: readonly Contender[]): Record<string, ConflictMarker[]> {
  const markers: Record<string, ConflictMarker[]> = {};
  for (const field of touchedFields(contenders)) {
    const list: ConflictMarker[] = [];
    for (const c of contenders) {
      if (Object.hasOwn(c.changes, field))
        list.push({ eventId: c.eventId, source: c.source, value: c.changes[field]! });
      else if (Object.hasOwn(c.deltas, field))
        list.push({ eventId: c.eventId, source: c.source, delta: c.deltas[field]! });
    }
    markers[field] = list;
  }
  return markers;
}

/**
 * Winner (first contributor in the total order), merged (other contributors)
 * and losers (everyone else), each in the total order.
 *
 * @example
 * ```ts
 * assignRoles(rankedContenders, new Set(['e2', 'e3'])) // { winner: 'e2', merged: ['e3'], losers: ['e1'] }
 * ```
 */
export function assignRoles(
  ranked: readonly Contender[],
  contributors: ReadonlySet<string>,
): { winner: string | null; merged: string[]; losers: string[] } {
  const contributing = ranked.filter((c) => contributors.has(c.eventId)).map((c) => c.eventId);
  return {
    winner: contributing[0] ?? null,
    merged: contributing.slice(1),
    losers: ranked.filter((c) => !contributors.has(c.eventId)).map((c) => c.eventId),
  };
}

// `eventIds` becomes the pending list (nothing else holds it).
function escalate(
  p: PreparedConflict,
  head: Head,
  eventIds: string[],
  reasons: EscalationReason[],
): Resolution {
  return assemble(p, head, {
    status: 'escalated',
    rule: 'escalated',
    fields: {},
    winner: null,
    losers: [],
    merged: [],
    pending: eventIds,
    set: {},
    adjust: {},
    after: null,
    markers: markersFor(p.contenders),
    escalation: { reasons },
  });
}

function isTerminal(value: Json | undefined, values: readonly string[]): boolean {
  return typeof value === 'string' && values.includes(value);
}

// The contender reaching the strongest terminal value; among equals the earliest
// ('first') or highest-ranked ('rank'). Undefined when none reaches one. A scan
// for the minimum: the comparison is a total order, so it is what sorting would put first.
function pickTerminal(
  contenders: readonly Contender[],
  { field, values, pick }: TerminalStates,
): Contender | undefined {
  let best: Contender | undefined;
  let bestStrength = 0;
  for (const c of contenders) {
    const v = c.changes[field];
    if (!isTerminal(v, values)) continue;
    const strength = values.indexOf(v as string);
    if (
      best === undefined ||
      strength < bestStrength ||
      (strength === bestStrength &&
        (pick === 'first' ? compareEarliest(c, best) : compareContenders(c, best)) < 0)
    ) {
      best = c;
      bestStrength = strength;
    }
  }
  return best;
}

function ids(contenders: readonly Contender[]): string[] {
  const out: string[] = [];
  for (const c of contenders) out.push(c.eventId);
  return out;
}
