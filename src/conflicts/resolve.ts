/**
 * The pure resolution of one conflict. Steps, each a function of the whole
 * (deduplicated, totally ordered) contender set:
 *   1. the entity is already in a terminal state -> nothing changes;
 *   2. a threshold is crossed -> escalate;
 *   3. a contender reaches a terminal state -> it wins the entity;
 *   4. otherwise each field: its strategy picks the absolute value, deltas
 *      always apply on top (decreases first);
 *   5. any strategy escalation -> escalate the whole conflict.
 */
import type { ConflictConfig, TerminalStates } from './config.js';
import { classifyConflict } from './classify.js';
import { conflictIdFor } from './conflict-id.js';
import { prepareConflict, type PreparedConflict } from './contender.js';
import { measureImpact, thresholdReasons } from './escalation.js';
import { jsonEquals, type Json, type JsonObject } from './json.js';
import type { ConflictStrategy, FieldCandidate } from './strategies/strategy.js';
import { compareContenders, compareEarliest } from './total-order.js';
import type {
  ConflictInput,
  ConflictMarker,
  Contender,
  EscalationReason,
  FieldRule,
  Resolution,
} from './types.js';

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
  const terminal = p.policy.terminal;
  const shell = baseResolution(p);

  if (terminal && isTerminal(base[terminal.field], terminal.values)) {
    return { ...shell, rule: 'terminal_state_absorbs', losers: ids(p.contenders), after: { ...base } };
  }

  const thresholds = thresholdReasons(base, p.contenders, p.policy, config);
  if (thresholds.length > 0) return escalate(shell, p, thresholds);

  if (terminal) {
    const reaching = p.contenders.filter((c) => isTerminal(c.changes[terminal.field], terminal.values));
    if (reaching.length > 0) {
      const winner = pickTerminal(reaching, terminal.field, terminal.values, terminal.pick);
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
          strategy: shell.strategy,
          rule: 'terminal_state_wins',
          contributors: [winner.eventId],
        };
      }
      return {
        ...shell,
        rule: 'terminal_state_wins',
        fields,
        winner: winner.eventId,
        losers: ids(p.contenders.filter((c) => c !== winner)),
        set,
        adjust,
        after: { ...base, ...set },
      };
    }
  }

  const set: JsonObject = {};
  const adjust: Record<string, number> = {};
  const fields: Record<string, FieldRule> = {};
  const reasons: EscalationReason[] = [];
  const contributors = new Set<string>();
  for (const field of touchedFields(p.contenders)) {
    const strategyName = p.policy.fieldStrategies[field] ?? p.policy.strategy;
    const strategy = strategies.get(strategyName)!;
    const candidates: FieldCandidate[] = p.contenders
      .filter((c) => Object.hasOwn(c.changes, field))
      .map((c) => ({ contender: c, value: c.changes[field]! }));
    const adjusters = p.contenders.filter((c) => Object.hasOwn(c.deltas, field));
    let value: Json | undefined = base[field];
    let rule = 'deltas_summed';
    const fieldContributors: string[] = [];
    if (candidates.length > 0) {
      const decision = strategy.decide({
        entityType: p.entityType,
        entityId: p.entityId,
        field,
        base: base[field],
        candidates,
        policy: p.policy,
      });
      if (decision.type === 'escalate') {
        reasons.push({ code: decision.code, field, message: decision.message });
        continue;
      }
      value = decision.value;
      rule = adjusters.length > 0 ? `${decision.rule}+deltas` : decision.rule;
      for (const c of candidates)
        if (jsonEquals(c.value, decision.value)) fieldContributors.push(c.contender.eventId);
    }
    if (adjusters.length > 0) {
      const sum = sumDeltas(adjusters, field);
      if (typeof value === 'number') set[field] = value + sum;
      else adjust[field] = sum;
      fieldContributors.push(...adjusters.map((c) => c.eventId));
    } else {
      set[field] = value!;
    }
    fieldContributors.sort((a, b) => order(p, a) - order(p, b));
    fieldContributors.forEach((id) => contributors.add(id));
    fields[field] = { strategy: strategyName, rule, contributors: fieldContributors };
  }
  if (reasons.length > 0) return escalate(shell, p, reasons);

  const roles = assignRoles(p.contenders, contributors);
  return { ...shell, rule: 'per_field', fields, ...roles, set, adjust, after: { ...base, ...set } };
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
  const deltas = adjusters
    .map((c) => ({ c, d: c.deltas[field]! }))
    .sort((a, b) => a.d - b.d || compareContenders(a.c, b.c));
  let sum = 0;
  for (const { d } of deltas) sum += d;
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
  const fields = new Set<string>();
  for (const c of contenders) {
    for (const f of Object.keys(c.changes)) fields.add(f);
    for (const f of Object.keys(c.deltas)) fields.add(f);
  }
  return [...fields].sort();
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
    markers[field] = contenders.flatMap((c): ConflictMarker[] => {
      if (Object.hasOwn(c.changes, field))
        return [{ eventId: c.eventId, source: c.source, value: c.changes[field]! }];
      if (Object.hasOwn(c.deltas, field))
        return [{ eventId: c.eventId, source: c.source, delta: c.deltas[field]! }];
      return [];
    });
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

function baseResolution(p: PreparedConflict): Resolution {
  const eventIds = ids(p.contenders);
  return {
    conflictId: conflictIdFor(p.entityType, p.entityId, eventIds),
    entityType: p.entityType,
    entityId: p.entityId,
    kind: classifyConflict(p.contenders, p.policy),
    status: 'resolved',
    strategy: p.policy.strategy,
    rule: 'per_field',
    fields: {},
    contenders: p.contenders,
    winner: null,
    losers: [],
    merged: [],
    pending: [],
    set: {},
    adjust: {},
    before: { ...p.base },
    after: null,
    markers: {},
    escalation: null,
    impact: measureImpact(p.base, p.contenders, p.policy),
  };
}

function escalate(shell: Resolution, p: PreparedConflict, reasons: EscalationReason[]): Resolution {
  return {
    ...shell,
    status: 'escalated',
    rule: 'escalated',
    pending: ids(p.contenders),
    markers: markersFor(p.contenders),
    escalation: { reasons },
    after: null,
  };
}

function isTerminal(value: Json | undefined, values: readonly string[]): boolean {
  return typeof value === 'string' && values.includes(value);
}

// Strongest terminal value first; among equals the earliest ('first') or highest-ranked ('rank') contender.
function pickTerminal(
  reaching: readonly Contender[],
  field: string,
  values: readonly string[],
  pick: TerminalStates['pick'],
): Contender {
  const strength = (c: Contender) => values.indexOf(c.changes[field] as string);
  const sorted = [...reaching].sort(
    (a, b) =>
      strength(a) - strength(b) || (pick === 'first' ? compareEarliest(a, b) : compareContenders(a, b)),
  );
  return sorted[0]!;
}

function ids(contenders: readonly Contender[]): string[] {
  return contenders.map((c) => c.eventId);
}

function order(p: PreparedConflict, eventId: string): number {
  return p.contenders.findIndex((c) => c.eventId === eventId);
}
