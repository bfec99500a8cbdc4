/**
 * Conflict ids: a name-based uuid (version 5 layout, SHA-1) of the entity and
 * the sorted contender event ids, so the same conflict always gets the same id
 * — whatever the arrival order — and a repeat is recognised.
 */
import * as crypto from 'node:crypto';

// One-shot `crypto.hash` (Node >= 20.12) is several times cheaper than createHash for short input.
const sha1Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha1', text, 'hex')
    : (text) => crypto.createHash('sha1').update(text).digest('hex');

/**
 * The id of the conflict between these events on this entity.
 *
 * @example
 * ```ts
 * conflictIdFor('inventory', 'sku-1', ['e2', 'e1']) === conflictIdFor('inventory', 'sku-1', ['e1', 'e2']) // true
 * ```
 */
export function conflictIdFor(entityType: string, entityId: string, eventIds: readonly string[]): string {
  if (eventIds.length > SMALL) {
    return nameUuid(
      ['creatorflow.conflict', entityType, entityId, ...[...new Set(eventIds)].sort()].join('\u0000'),
    );
  }
  // The usual handful: one array, its id part sorted (code-unit order, as Array#sort without
  // a comparator) and deduplicated in place, then concatenated (cheaper than join for a few parts).
  const parts = ['creatorflow.conflict', entityType, entityId];
  for (const id of eventIds) {
    let j = parts.length - 1;
    while (j >= FIXED && parts[j]! > id) j--;
    if (j >= FIXED && parts[j] === id) continue; // a repeated id: the set of ids counts
    parts.push(id);
    for (let k = parts.length - 1; k > j + 1; k--) parts[k] = parts[k - 1]!;
    parts[j + 1] = id;
  }
  let name = parts[0]!;
  for (let i = 1; i < parts.length; i++) name += `\u0000${parts[i]!}`;
  return nameUuid(name);
}

const FIXED = 3;
const SMALL = 16;

/**
 * A uuid derived from a name (same name, same uuid).
 *
 * @example
 * ```ts
 * nameUuid('conflict:abc:detected') // '3c0f…-5…'
 * ```
 */
export function nameUuid(name: string): string {
  const x = sha1Hex(name);
  // One flat string, no slices: 8-4-4-4-12 hex digits with version 5 as the first digit of the
  // third group and the RFC 4122 variant (10xx) in the first digit of the fourth. (No helper
  // closure: one per call showed up in profiles.)
  // prettier-ignore
  return String.fromCharCode(
    x.charCodeAt(0), x.charCodeAt(1), x.charCodeAt(2), x.charCodeAt(3),
    x.charCodeAt(4), x.charCodeAt(5), x.charCodeAt(6), x.charCodeAt(7), DASH,
    x.charCodeAt(8), x.charCodeAt(9), x.charCodeAt(10), x.charCodeAt(11), DASH,
    VERSION_5, x.charCodeAt(13), x.charCodeAt(14), x.charCodeAt(15), DASH,
    variantDigit(x.charCodeAt(16)), x.charCodeAt(17), x.charCodeAt(18), x.charCodeAt(19), DASH,
    x.charCodeAt(20), x.charCodeAt(21), x.charCodeAt(22), x.charCodeAt(23),
    x.charCodeAt(24), x.charCodeAt(25), x.charCodeAt(26), x.charCodeAt(27),
    x.charCodeAt(28), x.charCodeAt(29), x.charCodeAt(30), x.charCodeAt(31),
  );
}

const DASH = 0x2d;
const VERSION_5 = 0x35; // '5'
const VARIANT_DIGITS = [0x38, 0x39, 0x61, 0x62]; // '8', '9', 'a', 'b'

// The hex digit with its top two bits set to 10.
function variantDigit(code: number): number {
  const nibble = code <= 0x39 ? code - 0x30 : code - 0x57;
  return VARIANT_DIGITS[nibble & 0x3]!;
}
