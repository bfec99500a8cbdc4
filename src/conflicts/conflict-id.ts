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
  return nameUuid(
    ['creatorflow.conflict', entityType, entityId, ...[...new Set(eventIds)].sort()].join('\u0000'),
  );
}

/**
 * A uuid derived from a name (same name, same uuid).
 *
 * @example
 * ```ts
 * nameUuid('conflict:abc:detected') // '3c0f…-5…'
 * ```
 */
export function nameUuid(name: string): string {
  const hex = sha1Hex(name);
  // Version 5 in the high nibble of byte 6, RFC 4122 variant in the top bits of byte 8.
  const version = `5${hex.slice(13, 16)}`;
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + hex.slice(18, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}-${variant}-${hex.slice(20, 32)}`;
}
