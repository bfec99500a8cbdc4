/**
 * Fast structural reads for the hot path. They accept only input the zod
 * schemas accept too (property tests check that implication, and that what
 * they read equals what zod parses); anything they reject goes through zod,
 * which either accepts it or produces the issues. zod stays the definition of
 * valid input — this only skips its cost for the common, well-formed case.
 *
 * Each input object is read once, in a for-in loop with `raw[key]`. Callers
 * build contenders with spreads (`{ ...base, changes }`), which gives every
 * object its own hidden class; named loads (`raw.source`) on such objects miss
 * V8's inline caches and cost hundreds of ns each, while a keyed load of the
 * for-in key is served from the object's enum cache.
 */
import type { HlcTimestamp } from '../../core/hlc.js';
import type { Json, JsonObject } from '../json.js';
import type { Contender } from '../types.js';

const MAX_DEPTH = 64;

/**
 * A contender as read by {@link readContender}: a fresh object in the shape of
 * a `Contender`, with its own copies of `changes` and `deltas`. The clock may
 * still be a string, and `priority` and `trusted` are placeholders: both
 * depend on the configuration, so the caller completes the object.
 */
export interface ReadContender extends Omit<Contender, 'hlc'> {
  hlc: HlcTimestamp | string;
}

/** A conflict shell as read by {@link readConflict}. */
export interface ConflictFields {
  entityType: string;
  entityId: string;
  contenders: readonly unknown[];
  base: JsonObject | undefined;
  detectedAt: number;
}

/** True for a non-empty string. */
function text(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function plainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function natural(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * True when `v` is plainly a JSON value (finite numbers, plain objects, arrays).
 *
 * @example
 * ```ts
 * isPlainJson({ a: [1, 'x', null] }) // true
 * isPlainJson(Number.NaN)           // false
 * ```
 */
export function isPlainJson(v: unknown, depth = 0): v is Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!(i in v) || !isPlainJson(v[i], depth + 1)) return false;
    }
    return true;
  }
  if (!plainObject(v)) return false;
  for (const k in v) if (!isPlainJson(v[k], depth + 1)) return false;
  return true;
}

/**
 * Read a plainly well-formed contender (see `contenderSchema`); undefined when
 * it is not plainly well-formed (zod then decides).
 *
 * @example
 * ```ts
 * const c = readContender(raw); // undefined: let contenderSchema decide
 * ```
 */
export function readContender(raw: unknown): ReadContender | undefined {
  if (!plainObject(raw)) return undefined;
  let entityType: unknown, entityId: unknown, source: unknown, sourceId: unknown, eventId: unknown;
  let hlc: unknown, changes: unknown, deltas: unknown;
  for (const k in raw) {
    const v = raw[k];
    switch (k) {
      case 'entityType':
        entityType = v;
        break;
      case 'entityId':
        entityId = v;
        break;
      case 'source':
        source = v;
        break;
      case 'sourceId':
        sourceId = v;
        break;
      case 'eventId':
        eventId = v;
        break;
      case 'hlc':
        hlc = v;
        break;
      case 'changes':
        changes = v;
        break;
      case 'deltas':
        deltas = v;
        break;
      default:
        return undefined;
    }
  }
  if (!text(entityType) || !text(entityId) || !text(source) || !text(sourceId) || !text(eventId)) {
    return undefined;
  }
  const clock = typeof hlc === 'string' ? (hlc.length > 0 ? hlc : undefined) : readHlc(hlc);
  if (clock === undefined) return undefined;
  if (changes !== undefined && !jsonRecord(changes)) return undefined;
  if (deltas !== undefined && !numberRecord(deltas)) return undefined;
  return {
    entityType,
    entityId,
    source,
    sourceId,
    eventId,
    hlc: clock,
    changes: changes === undefined ? {} : { ...changes },
    deltas: deltas === undefined ? {} : { ...deltas },
    priority: 0,
    trusted: false,
  };
}

/**
 * True when `raw` is plainly a well-formed contender (see {@link readContender}).
 *
 * @example
 * ```ts
 * const c = looksLikeContender(raw) ? raw : contenderSchema.parse(raw);
 * ```
 */
export function looksLikeContender(raw: unknown): boolean {
  return readContender(raw) !== undefined;
}

function jsonRecord(o: unknown): o is JsonObject {
  if (!plainObject(o)) return false;
  for (const k in o) if (k.length === 0 || !isPlainJson(o[k])) return false;
  return true;
}

function numberRecord(o: unknown): o is Record<string, number> {
  if (!plainObject(o)) return false;
  for (const k in o) {
    const d = o[k];
    if (k.length === 0 || typeof d !== 'number' || !Number.isFinite(d)) return false;
  }
  return true;
}

function readHlc(hlc: unknown): HlcTimestamp | undefined {
  if (!plainObject(hlc)) return undefined;
  let wallMs: unknown, logical: unknown, node: unknown;
  for (const k in hlc) {
    const v = hlc[k];
    if (k === 'wallMs') wallMs = v;
    else if (k === 'logical') logical = v;
    else if (k === 'node') node = v;
    else return undefined;
  }
  return natural(wallMs) && natural(logical) && text(node) ? { wallMs, logical, node } : undefined;
}

/**
 * Read a plainly well-formed conflict shell (see `conflictInputSchema`);
 * undefined when it is not plainly well-formed. Contenders are read one by one.
 *
 * @example
 * ```ts
 * const shell = readConflict(input) ?? conflictInputSchema.parse(input);
 * ```
 */
export function readConflict(raw: unknown): ConflictFields | undefined {
  if (!plainObject(raw)) return undefined;
  let entityType: unknown, entityId: unknown, contenders: unknown, base: unknown, detectedAt: unknown;
  for (const k in raw) {
    const v = raw[k];
    switch (k) {
      case 'entityType':
        entityType = v;
        break;
      case 'entityId':
        entityId = v;
        break;
      case 'contenders':
        contenders = v;
        break;
      case 'base':
        base = v;
        break;
      case 'detectedAt':
        detectedAt = v;
        break;
      default:
        return undefined;
    }
  }
  if (!text(entityType) || !text(entityId)) return undefined;
  if (!Array.isArray(contenders) || contenders.length === 0) return undefined;
  if (base !== undefined) {
    if (!plainObject(base)) return undefined;
    for (const k in base) if (!isPlainJson(base[k])) return undefined;
  }
  if (typeof detectedAt !== 'number' || !Number.isFinite(detectedAt)) return undefined;
  return { entityType, entityId, contenders, base: base as JsonObject | undefined, detectedAt };
}

/**
 * True when `raw` is plainly a well-formed conflict shell (see {@link readConflict}).
 *
 * @example
 * ```ts
 * if (!looksLikeConflict(input)) conflictInputSchema.parse(input);
 * ```
 */
export function looksLikeConflict(raw: unknown): boolean {
  return readConflict(raw) !== undefined;
}
