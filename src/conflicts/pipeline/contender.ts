/**
 * Validation of conflict input: every contender is checked (shape, source,
 * entity, field values) and ranked before anything is decided, so bad input
 * fails with a typed error and nothing is written.
 */
import { z } from 'zod';
import type { ValidationIssue } from '../../core/errors.js';
import { isWithinDrift, parseHlc, type HlcTimestamp } from '../../core/hlc.js';
import { policyFor, type ConflictConfig, type EntityPolicy } from '../config.js';
import { EntityMismatchError, MalformedConflictInputError, UnknownSourceError } from '../errors.js';
import { readConflict, readContender, type ConflictFields } from './fast-validate.js';
import { canonicalJson, type Json, type JsonObject } from '../json.js';
import { compareContenders } from './total-order.js';
import type { ConflictInput, Contender, ContenderInput } from '../types.js';

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
  const data: ConflictFields | z.infer<typeof conflictInputSchema> =
    readConflict(input) ?? parseConflict(input);
  const { entityType, entityId, detectedAt } = data;
  const base = { ...(data.base ?? {}) } as JsonObject;
  const policy = policyFor(config, entityType);
  const numeric = numericFields(policy);
  const priorities = sourcePriorities(config);
  const raws = data.contenders;
  const contenders: Contender[] = [];
  // Small conflicts find duplicates by a scan; a map only pays off for large ones.
  let byId: Map<string, Contender> | undefined;
  let adjusted = false;
  for (let index = 0; index < raws.length; index++) {
    const raw = raws[index];
    if (raw === undefined && !(index in raws)) continue; // a hole, skipped as forEach would
    const contender = validateContender(raw, index, config, detectedAt, priorities);
    if (contender.entityType !== entityType || contender.entityId !== entityId) {
      throw new EntityMismatchError(
        contender.eventId,
        `${entityType}/${entityId}`,
        `${contender.entityType}/${contender.entityId}`,
      );
    }
    checkValues(contender, policy, numeric, index);
    const seen = byId ? byId.get(contender.eventId) : scanFor(contenders, contender.eventId);
    if (seen) {
      // Encode only on a repeated id: the common case pays nothing for duplicate detection.
      if (contentKey(seen) !== contentKey(contender)) {
        throw new MalformedConflictInputError('Invalid conflict', [
          {
            path: `contenders.${index}.eventId`,
            message: `event ${contender.eventId} appears twice with different content`,
          },
        ]);
      }
      continue;
    }
    contenders.push(contender);
    if (byId) byId.set(contender.eventId, contender);
    else if (contenders.length > SCAN_LIMIT) byId = new Map(contenders.map((c) => [c.eventId, c]));
    if (!adjusted) for (const _ in contender.deltas) adjusted = true;
  }
  checkBase(base, numeric);
  // With no deltas at all there is nothing to check (and no set to build).
  if (adjusted) checkDeltaFields(base, contenders);
  rankContenders(contenders);
  return { entityType, entityId, base, detectedAt, policy, contenders };
}

const SCAN_LIMIT = 16;

function scanFor(contenders: readonly Contender[], eventId: string): Contender | undefined {
  for (const c of contenders) if (c.eventId === eventId) return c;
  return undefined;
}

// Insertion sort for the usual handful of contenders (no comparator-call
// overhead of Array#sort); the order is the same because compareContenders is
// a strict total order over distinct event ids.
function rankContenders(contenders: Contender[]): void {
  if (contenders.length > SCAN_LIMIT) {
    contenders.sort(compareContenders);
    return;
  }
  for (let i = 1; i < contenders.length; i++) {
    const c = contenders[i]!;
    let j = i - 1;
    while (j >= 0 && compareContenders(contenders[j]!, c) > 0) {
      contenders[j + 1] = contenders[j]!;
      j--;
    }
    contenders[j + 1] = c;
  }
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
  priorities: ReadonlyMap<string, number> = sourcePriorities(config),
): Contender {
  const read = readContender(raw);
  if (read === undefined) return parsedContender(raw, index, config, detectedAt, priorities);
  // The same checks, in the same order, as parsedContender(); the read object is completed in place.
  const priority = priorities.get(read.source);
  if (priority === undefined) throw new UnknownSourceError(read.source);
  const hlc = typeof read.hlc === 'string' ? parseContenderHlc(read.hlc, index) : read.hlc;
  if (!changesSomething(read.changes, read.deltas)) throw contenderIssues(read.changes, read.deltas, index);
  read.hlc = hlc;
  read.priority = priority;
  read.trusted = isWithinDrift(hlc, detectedAt, config.maxDriftMs);
  return read as Contender;
}

// Input the fast read does not take: zod decides, then the same checks.
function parsedContender(
  raw: unknown,
  index: number,
  config: ConflictConfig,
  detectedAt: number,
  priorities: ReadonlyMap<string, number>,
): Contender {
  const c = parseContender(raw, index);
  const priority = priorities.get(c.source);
  if (priority === undefined) throw new UnknownSourceError(c.source);
  const hlc =
    typeof c.hlc === 'string'
      ? parseContenderHlc(c.hlc, index)
      : { wallMs: c.hlc.wallMs, logical: c.hlc.logical, node: c.hlc.node };
  const changes = { ...c.changes } as JsonObject;
  const deltas = { ...c.deltas };
  if (!changesSomething(changes, deltas)) throw contenderIssues(changes, deltas, index);
  return {
    entityType: c.entityType,
    entityId: c.entityId,
    source: c.source,
    sourceId: c.sourceId,
    eventId: c.eventId,
    hlc,
    changes,
    deltas,
    priority,
    trusted: isWithinDrift(hlc, detectedAt, config.maxDriftMs),
  };
}

const prioritiesCache = new WeakMap<ConflictConfig, ReadonlyMap<string, number>>();

/**
 * The configured source priorities as a map (configurations are frozen, so it is built once).
 *
 * @example
 * ```ts
 * sourcePriorities(config).get('tiktok_webhook') // 10
 * ```
 */
export function sourcePriorities(config: ConflictConfig): ReadonlyMap<string, number> {
  let map = prioritiesCache.get(config);
  if (!map) {
    map = new Map(Object.entries(config.priorities));
    prioritiesCache.set(config, map);
  }
  return map;
}

function parseConflict(input: unknown): z.infer<typeof conflictInputSchema> {
  const parsed = conflictInputSchema.safeParse(input);
  if (!parsed.success) throw malformed('Invalid conflict', parsed.error);
  return parsed.data;
}

function parseContender(raw: unknown, index: number): ContenderInput {
  const parsed = contenderSchema.safeParse(raw);
  if (!parsed.success) throw malformed('Invalid contender', parsed.error, `contenders.${index}`);
  return parsed.data as ContenderInput;
}

function parseContenderHlc(text: string, index: number): HlcTimestamp {
  try {
    return parseHlc(text);
  } catch (err) {
    throw new MalformedConflictInputError(
      'Invalid contender',
      [{ path: `contenders.${index}.hlc`, message: (err as Error).message }],
      { cause: err },
    );
  }
}

// True when the contender sets or adjusts at least one field and no field both
// ways: a key walk without the arrays and issue list of contenderIssues().
function changesSomething(changes: JsonObject, deltas: Record<string, number>): boolean {
  let any = false;
  for (const k in changes) if (Object.hasOwn(changes, k)) any = true;
  for (const k in deltas) {
    if (!Object.hasOwn(deltas, k)) continue;
    if (Object.hasOwn(changes, k)) return false;
    any = true;
  }
  return any;
}

function contenderIssues(
  changes: JsonObject,
  deltas: Record<string, number>,
  index: number,
): MalformedConflictInputError {
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
  return new MalformedConflictInputError('Invalid contender', issues);
}

const numericCache = new WeakMap<Readonly<EntityPolicy>, readonly string[]>();

// Fields that must hold numbers under a policy (policies are frozen, so the list is cached).
function numericFields(policy: Readonly<EntityPolicy>): readonly string[] {
  let fields = numericCache.get(policy);
  if (!fields) {
    fields = [...new Set([...policy.minimumFields, ...policy.limits.map((l) => l.field)])];
    numericCache.set(policy, fields);
  }
  return fields;
}

function checkValues(
  c: Contender,
  policy: Readonly<EntityPolicy>,
  numeric: readonly string[],
  index: number,
): void {
  const terminal = policy.terminal?.field;
  let ok = true;
  for (const field of numeric) {
    if (Object.hasOwn(c.changes, field) && !isFiniteNumber(c.changes[field]!)) ok = false;
  }
  if (terminal !== undefined && Object.hasOwn(c.changes, terminal) && typeof c.changes[terminal] !== 'string')
    ok = false;
  if (ok) return;
  const issues: ValidationIssue[] = [];
  for (const field of numeric) {
    if (!Object.hasOwn(c.changes, field)) continue;
    if (!isFiniteNumber(c.changes[field]!)) {
      issues.push({ path: `contenders.${index}.changes.${field}`, message: 'must be a finite number' });
    }
  }
  if (
    terminal !== undefined &&
    Object.hasOwn(c.changes, terminal) &&
    typeof c.changes[terminal] !== 'string'
  ) {
    issues.push({ path: `contenders.${index}.changes.${terminal}`, message: 'must be a string' });
  }
  throw new MalformedConflictInputError('Invalid contender', issues);
}

function checkBase(base: JsonObject, numeric: readonly string[]): void {
  let issues: ValidationIssue[] | undefined;
  for (const field of numeric) {
    if (Object.hasOwn(base, field) && !isFiniteNumber(base[field]!)) {
      (issues ??= []).push({ path: `base.${field}`, message: 'must be a finite number' });
    }
  }
  if (issues) throw new MalformedConflictInputError('Invalid conflict', issues);
}

// A field that some contender adjusts must hold numbers everywhere, or the deltas cannot be folded.
function checkDeltaFields(base: JsonObject, contenders: readonly Contender[]): void {
  if (!deltaFieldsAreNumbers(base, contenders)) throw deltaFieldIssues(base, contenders);
}

// The check alone, without the field set and issue list.
function deltaFieldsAreNumbers(base: JsonObject, contenders: readonly Contender[]): boolean {
  for (const a of contenders) {
    for (const field in a.deltas) {
      if (!Object.hasOwn(a.deltas, field)) continue;
      if (Object.hasOwn(base, field) && !isFiniteNumber(base[field]!)) return false;
      for (const c of contenders) {
        if (Object.hasOwn(c.changes, field) && !isFiniteNumber(c.changes[field]!)) return false;
      }
    }
  }
  return true;
}

function deltaFieldIssues(base: JsonObject, contenders: readonly Contender[]): MalformedConflictInputError {
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
  return new MalformedConflictInputError('Invalid conflict', issues);
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
