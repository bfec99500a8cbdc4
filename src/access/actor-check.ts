/**
 * The check a writer below the principal check makes on the actor it is
 * handed: an {@link ActorRef} is recorded as given, so a missing one or one
 * that claims what it cannot be (an unknown kind, a system id on a person, a
 * person's id on `system`) is refused before anything is written, with the
 * codes a missing or malformed principal gets.
 */
import type { ActorKind, ActorRef } from './acting-principal.js';
import { InvalidPrincipalError, MissingPrincipalError } from './errors.js';

const KINDS: ReadonlySet<string> = new Set<ActorKind>(['system', 'admin', 'service', 'user']);
const SYSTEM_ID = /^system:./;

/** What is wrong with `actor` as an {@link ActorRef}, or null when nothing is. */
function actorProblem(actor: object): string | null {
  const { kind, id, requestedBy, ...rest } = actor as Record<string, unknown>;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return 'kind is not one of system, admin, service, user';
  if (typeof id !== 'string' || id === '') return 'id is not a non-empty string';
  // Only systemPrincipal() makes a system actor, and its ids all start with `system:`.
  if ((kind === 'system') !== SYSTEM_ID.test(id))
    return kind === 'system'
      ? 'a system actor id must start with "system:"'
      : 'only a system actor has a "system:" id';
  if (requestedBy !== undefined && (typeof requestedBy !== 'string' || requestedBy === ''))
    return 'requestedBy is not a non-empty string';
  if (requestedBy !== undefined && kind !== 'system') return 'only a system actor has requestedBy';
  const extra = Object.keys(rest);
  if (extra.length > 0) return `unknown field ${extra[0]}`;
  return null;
}

/**
 * Throw `MissingPrincipalError` (`PRINCIPAL_MISSING`) when `actor` is absent
 * and `InvalidPrincipalError` (`PRINCIPAL_INVALID`) when it is not a
 * well-formed {@link ActorRef}: the check of the writers that record an actor
 * they are handed (`InventoryService`, the standalone `syncInventoryLevels`,
 * `reportTikTokStock`, the commerce sagas' inputs).
 *
 * @example
 * ```ts
 * assertActor({ kind: 'admin', id: 'u1' }, 'InventoryService.release'); // passes
 * assertActor(undefined, 'InventoryService.release'); // throws PRINCIPAL_MISSING
 * ```
 */
export function assertActor(actor: unknown, what: string): asserts actor is ActorRef {
  if (actor === undefined || actor === null) throw new MissingPrincipalError(what);
  if (typeof actor !== 'object' || Array.isArray(actor))
    throw new InvalidPrincipalError(what, 'the actor is not an object');
  const problem = actorProblem(actor);
  if (problem !== null) throw new InvalidPrincipalError(what, `the actor's ${problem}`);
}

/**
 * Whether `value` is a well-formed {@link ActorRef} (what {@link assertActor}
 * accepts), for reading one back from an event's metadata.
 *
 * @example
 * ```ts
 * const actor = isActorRef(event.metadata.actor) ? event.metadata.actor : undefined;
 * ```
 */
export function isActorRef(value: unknown): value is ActorRef {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && actorProblem(value) === null;
}

/**
 * The actor an event's metadata records, as an optional field: `{ actor }`
 * when it is a well-formed {@link ActorRef} (a copy), else `{}`. For a write
 * that acts for the one before it (a saga started by an event, a settled
 * decision).
 *
 * @example
 * ```ts
 * const input = { creatorId, orderId, ...actorFromMetadata(event.metadata) };
 * ```
 */
export function actorFromMetadata(metadata: Readonly<Record<string, unknown>>): { actor?: ActorRef } {
  const actor = metadata['actor'];
  if (!isActorRef(actor)) return {};
  const { kind, id, requestedBy } = actor;
  return { actor: { kind, id, ...(requestedBy === undefined ? {} : { requestedBy }) } };
}
