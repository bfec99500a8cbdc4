/**
 * Fast structural pre-checks for the hot path. They accept only input the zod
 * schemas accept too (a property test checks that implication); anything they
 * reject goes through zod, which either accepts it or produces the issues.
 * zod stays the definition of valid input — this only skips its cost for the
 * common, well-formed case.
 */
import type { Json } from './json.js';

const CONFLICT_KEYS = new Set(['entityType', 'entityId', 'contenders', 'base', 'detectedAt']);
const MAX_DEPTH = 64;

/** True for a non-empty string. */
function text(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function plainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

// for-in without Object.keys: no array per call (plainObject() ruled out inherited keys).
function onlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

function natural(v: unknown): boolean {
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
  for (const k of Object.keys(v)) if (!isPlainJson(v[k], depth + 1)) return false;
  return true;
}

/**
 * True when `raw` is plainly a well-formed contender (see `contenderSchema`).
 *
 * @example
 * ```ts
 * const c = looksLikeContender(raw) ? raw : contenderSchema.parse(raw);
 * ```
 */
export function looksLikeContender(raw: unknown): boolean {
  if (!plainObject(raw)) return false;
  // One pass over the keys with a switch: cheaper than a Set lookup per key on the hot path.
  for (const k in raw) {
    switch (k) {
      case 'entityType':
      case 'entityId':
      case 'source':
      case 'sourceId':
      case 'eventId':
      case 'hlc':
      case 'changes':
      case 'deltas':
        break;
      default:
        return false;
    }
  }
  if (
    !text(raw.entityType) ||
    !text(raw.entityId) ||
    !text(raw.source) ||
    !text(raw.sourceId) ||
    !text(raw.eventId)
  ) {
    return false;
  }
  if (!looksLikeHlc(raw.hlc)) return false;
  const changes = raw.changes;
  if (changes !== undefined) {
    if (!plainObject(changes)) return false;
    for (const k in changes) if (k.length === 0 || !isPlainJson(changes[k])) return false;
  }
  const deltas = raw.deltas;
  if (deltas !== undefined) {
    if (!plainObject(deltas)) return false;
    for (const k in deltas) {
      const d = deltas[k];
      if (k.length === 0 || typeof d !== 'number' || !Number.isFinite(d)) return false;
    }
  }
  return true;
}

function looksLikeHlc(hlc: unknown): boolean {
  if (typeof hlc === 'string') return hlc.length > 0;
  if (!plainObject(hlc)) return false;
  for (const k in hlc) if (k !== 'wallMs' && k !== 'logical' && k !== 'node') return false;
  return natural(hlc.wallMs) && natural(hlc.logical) && text(hlc.node);
}

/**
 * True when `raw` is plainly a well-formed conflict shell (see `conflictInputSchema`).
 *
 * @example
 * ```ts
 * if (!looksLikeConflict(input)) conflictInputSchema.parse(input);
 * ```
 */
export function looksLikeConflict(raw: unknown): boolean {
  if (!plainObject(raw) || !onlyKeys(raw, CONFLICT_KEYS)) return false;
  if (!text(raw.entityType) || !text(raw.entityId)) return false;
  if (!Array.isArray(raw.contenders) || raw.contenders.length === 0) return false;
  if (
    raw.base !== undefined &&
    !(plainObject(raw.base) && Object.values(raw.base).every((v) => isPlainJson(v)))
  ) {
    return false;
  }
  return typeof raw.detectedAt === 'number' && Number.isFinite(raw.detectedAt);
}
