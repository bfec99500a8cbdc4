/**
 * Validation of conflict input: every contender is checked (shape, source,
 * entity, field values) and ranked before anything is decided, so bad input
 * fails with a typed error and nothing is written.
 */
import { z } from 'zod';
import type { ValidationIssue } from '../core/errors.js';
import { isWithinDrift, parseHlc, type HlcTimestamp } from '../core/hlc.js';
import { policyFor, type ConflictConfig, type EntityPolicy } from './config.js';
import { EntityMismatchError, MalformedConflictInputError, UnknownSourceError } from './errors.js';
import { looksLikeConflict, looksLikeContender } from './fast-validate.js';
import { canonicalJson, type Json, type JsonObject } from './json.js';
import { compareContenders } from './total-order.js';
import type { ConflictInput, Contender, ContenderInput } from './types.js';

const hlcSchema = z.union([
  z
    .object({
      wallMs: z.number().int().nonnegative(),
      logical: z.number().int().nonnegative(),
      node: z.string().min(1),
    })
    .strict(),
  z.string().min(1),
]);

/**
 * zod schema of one contender (shape only; sources and entities are checked against the configuration).
 *
 * @example
 * ```ts
 * const ok = contenderSchema.safeParse(body).success;
 * ```
 */
export const contenderSchema = z
  .object({
    entityType: z.string().min(1),
    entityId: z.string().min(1),
    source: z.string().min(1),
    sourceId: z.string().min(1),
    eventId: z.string().min(1),
    hlc: hlcSchema,
    changes: z.record(z.string().min(1), z.json()).optional(),
    deltas: z.record(z.string().min(1), z.number().finite()).optional(),
  })
  .strict();

/**
 * zod schema of a conflict.
 *
 * @example
 * ```ts
 * conflictInputSchema.safeParse({ entityType: 'order', entityId: 'o1', contenders, detectedAt: Date.now() });
 * ```
 */
export const conflictInputSchema = z
  .object({
    entityType: z.string().min(1),
    entityId: z.string().min(1),
    contenders: z.array(z.unknown()).min(1),
    base: z.record(z.string(), z.json()).optional(),
    detectedAt: z.number().finite(),
  })
  .strict();

/** A validated conflict: contenders deduplicated and in the total order. */
export interface PreparedConflict {
  entityType: string;
  entityId: string;
  base: JsonObject;
  detectedAt: number;
  policy: Readonly<EntityPolicy>;
  contenders: Contender[];
}

/**
 * Validate a conflict and rank its contenders. Throws `MalformedConflictInputError`,
 * `UnknownSourceError` or `EntityMismatchError`.
 *
 * @example
 * ```ts
 * const prepared = prepareConflict({ entityType: 'inventory', entityId: 'sku-1', contenders, detectedAt: Date.now() }, config);
 * ```
 */
export function prepareConflict(input: ConflictInput, config: ConflictConfig): PreparedConflict {
  let data = input as z.infer<typeof conflictInputSchema>;
  if (!looksLikeConflict(input)) {
    const parsed = conflictInputSchema.safeParse(input);
    if (!parsed.success) throw malformed('Invalid conflict', parsed.error);
    data = parsed.data;
  }
  const { entityType, entityId, detectedAt } = data;
  const base = { ...(data.base ?? {}) } as JsonObject;
  const policy = policyFor(config, entityType);
  const byId = new Map<string, Contender>();
  data.contenders.forEach((raw, index) => {
    const contender = validateContender(raw, index, config, detectedAt);
    if (contender.entityType !== entityType || contender.entityId !== entityId) {
      throw new EntityMismatchError(
        contender.eventId,
        `${entityType}/${entityId}`,
        `${contender.entityType}/${contender.entityId}`,
      );
    }
    checkValues(contender, policy, index);
    const seen = byId.get(contender.eventId);
    // Encode only on a repeated id: the common case pays nothing for duplicate detection.
    if (seen && contentKey(seen) !== contentKey(contender)) {
      throw new MalformedConflictInputError('Invalid conflict', [
        {
          path: `contenders.${index}.eventId`,
          message: `event ${contender.eventId} appears twice with different content`,
        },
      ]);
    }
    if (!seen) byId.set(contender.eventId, contender);
  });
  checkBase(base, policy);
  const contenders = [...byId.values()];
  checkDeltaFields(base, contenders);
  contenders.sort(compareContenders);
  return { entityType, entityId, base, detectedAt, policy, contenders };
}

/**
 * Validate one contender on its own (shape, source, clock); used by detection too.
 *
 * @example
 * ```ts
 * const c = validateContender(input, 0, config, Date.now());
 * ```
 */
export function validateContender(
  raw: unknown,
  index: number,
  config: ConflictConfig,
  detectedAt: number,
): Contender {
  let c = raw as ContenderInput;
  if (!looksLikeContender(raw)) {
    const parsed = contenderSchema.safeParse(raw);
    if (!parsed.success) throw malformed('Invalid contender', parsed.error, `contenders.${index}`);
    c = parsed.data as ContenderInput;
  }
  if (!Object.hasOwn(config.priorities, c.source)) throw new UnknownSourceError(c.source);
  let hlc: HlcTimestamp;
  try {
    hlc = typeof c.hlc === 'string' ? parseHlc(c.hlc) : c.hlc;
  } catch (err) {
    throw new MalformedConflictInputError(
      'Invalid contender',
      [{ path: `contenders.${index}.hlc`, message: (err as Error).message }],
      { cause: err },
    );
  }
  const changes = { ...c.changes } as JsonObject;
  const deltas = { ...c.deltas };
  const issues: ValidationIssue[] = [];
  if (Object.keys(changes).length + Object.keys(deltas).length === 0) {
    issues.push({ path: `contenders.${index}`, message: 'a contender must change at least one field' });
  }
  for (const field of Object.keys(deltas)) {
    if (Object.hasOwn(changes, field)) {
      issues.push({
        path: `contenders.${index}.deltas.${field}`,
        message: 'a field is either set or adjusted, not both',
      });
    }
  }
  if (issues.length > 0) throw new MalformedConflictInputError('Invalid contender', issues);
  return {
    entityType: c.entityType,
    entityId: c.entityId,
    source: c.source,
    sourceId: c.sourceId,
    eventId: c.eventId,
    hlc: { wallMs: hlc.wallMs, logical: hlc.logical, node: hlc.node },
    changes,
    deltas,
    priority: config.priorities[c.source]!,
    trusted: isWithinDrift(hlc, detectedAt, config.maxDriftMs),
  };
}

const numericCache = new WeakMap<Readonly<EntityPolicy>, readonly string[]>();

// Fields that must hold numbers under a policy (policies are frozen, so the list is cached).
function numericFields(policy: Readonly<EntityPolicy>): readonly string[] {
  let fields = numericCache.get(policy);
  if (!fields) {
    fields = [...policy.stockFields, policy.orderValueField, policy.paymentAmountField].filter(
      (f): f is string => f !== undefined,
    );
    numericCache.set(policy, fields);
  }
  return fields;
}

function checkValues(c: Contender, policy: Readonly<EntityPolicy>, index: number): void {
  const issues: ValidationIssue[] = [];
  for (const field of numericFields(policy)) {
    if (!Object.hasOwn(c.changes, field)) continue;
    if (!isFiniteNumber(c.changes[field]!)) {
      issues.push({ path: `contenders.${index}.changes.${field}`, message: 'must be a finite number' });
    }
  }
  const terminal = policy.terminal?.field;
  if (
    terminal !== undefined &&
    Object.hasOwn(c.changes, terminal) &&
    typeof c.changes[terminal] !== 'string'
  ) {
    issues.push({ path: `contenders.${index}.changes.${terminal}`, message: 'must be a string' });
  }
  if (issues.length > 0) throw new MalformedConflictInputError('Invalid contender', issues);
}

function checkBase(base: JsonObject, policy: Readonly<EntityPolicy>): void {
  const issues: ValidationIssue[] = [];
  for (const field of numericFields(policy)) {
    if (Object.hasOwn(base, field) && !isFiniteNumber(base[field]!)) {
      issues.push({ path: `base.${field}`, message: 'must be a finite number' });
    }
  }
  if (issues.length > 0) throw new MalformedConflictInputError('Invalid conflict', issues);
}

// A field that some contender adjusts must hold numbers everywhere, or the deltas cannot be folded.
function checkDeltaFields(base: JsonObject, contenders: readonly Contender[]): void {
  const adjusted = new Set(contenders.flatMap((c) => Object.keys(c.deltas)));
  const issues: ValidationIssue[] = [];
  for (const field of [...adjusted].sort()) {
    if (Object.hasOwn(base, field) && !isFiniteNumber(base[field]!)) {
      issues.push({ path: `base.${field}`, message: 'is adjusted by a delta, so must be a finite number' });
    }
    for (const c of contenders) {
      if (Object.hasOwn(c.changes, field) && !isFiniteNumber(c.changes[field]!)) {
        issues.push({
          path: `${c.eventId}.changes.${field}`,
          message: 'is adjusted by a delta elsewhere, so must be a finite number',
        });
      }
    }
  }
  if (issues.length > 0) throw new MalformedConflictInputError('Invalid conflict', issues);
}

function isFiniteNumber(v: Json): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * A canonical encoding of a contender's content, to tell a duplicate from a clash.
 *
 * @example
 * ```ts
 * contentKey(a) === contentKey(b) // same change delivered twice
 * ```
 */
export function contentKey(c: Contender): string {
  return canonicalJson({
    entity: [c.entityType, c.entityId],
    source: c.source,
    sourceId: c.sourceId,
    hlc: { wallMs: c.hlc.wallMs, logical: c.hlc.logical, node: c.hlc.node },
    changes: c.changes,
    deltas: c.deltas,
  });
}

function malformed(message: string, error: z.ZodError, prefix?: string): MalformedConflictInputError {
  return new MalformedConflictInputError(
    message,
    error.issues.map((i) => ({
      path: [prefix, ...i.path.map(String)].filter((p) => p !== undefined && p !== '').join('.'),
      message: i.message,
    })),
    { cause: error },
  );
}
