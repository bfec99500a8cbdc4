/**
 * Who a commerce saga acts as. The principal that started it travels in its
 * input (`actor`), which the saga store keeps, so a resumed saga or one taken
 * over by another worker records the same actor on every event it writes; a
 * saga no one started (its trigger's event named no actor) acts as the system
 * principal of its definition, `system:saga:<definition>`.
 */
import { z } from 'zod';
import { actorMetadata, systemActor, type ActorRef } from '../../access/acting-principal.js';
import { assertActor, isActorRef } from '../../access/actor-check.js';
import type { SagaDefinition } from '../../sagas/index.js';

/**
 * The `actor` field of a commerce saga's input (what `actorOf(principal)`
 * gives): a well-formed {@link ActorRef}, as `assertActor` checks it.
 *
 * @example
 * ```ts
 * sagaActorSchema.parse({ kind: 'admin', id: 'admin-1' });
 * ```
 */
export const sagaActorSchema = z.custom<ActorRef>(isActorRef, 'not a well-formed actor ({ kind, id })');

/** An actor as a saga's input holds it. */
export type SagaActor = ActorRef;

/**
 * The actor a saga of `definition` records: the one its input carries, else
 * `system:saga:<definition>`.
 *
 * @example
 * ```ts
 * sagaActorOf('commerce_order_cancellation', { actor: { kind: 'admin', id: 'a1' } }); // { kind: 'admin', id: 'a1' }
 * ```
 */
export function sagaActorOf(definition: string, input: { actor?: SagaActor | undefined }): ActorRef {
  return input.actor ?? systemActor(`saga:${definition}`);
}

/** The metadata fields (`actor`, `userId`) of a saga's writes. */
export function sagaActorMetadata(
  definition: string,
  input: { actor?: SagaActor | undefined },
): { actor?: ActorRef; userId?: string } {
  return actorMetadata(sagaActorOf(definition, input));
}

/**
 * `definition` with its input's `actor` checked before anything is stored: a
 * start with a malformed or forged actor throws `PRINCIPAL_INVALID` (an
 * explicit `null` `PRINCIPAL_MISSING`) and no saga is created.
 */
export function checkingSagaActor<Input>(definition: SagaDefinition<Input>): SagaDefinition<Input> {
  return Object.freeze({
    ...definition,
    parseInput(raw: unknown): Input {
      if (typeof raw === 'object' && raw !== null && 'actor' in raw) {
        const actor = (raw as { actor?: unknown }).actor;
        if (actor !== undefined) assertActor(actor, `Starting saga "${definition.name}"`);
      }
      return definition.parseInput(raw);
    },
  });
}
