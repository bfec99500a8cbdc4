/**
 * Who a commerce saga acts as. The principal that started it travels in its
 * input (`actor`), which the saga store keeps, so a resumed saga or one taken
 * over by another worker records the same actor on every event it writes; a
 * saga no one started (its trigger's event named no actor) acts as the system
 * principal of its definition, `system:saga:<definition>`.
 */
import { z } from 'zod';
import { actorMetadata, systemActor, type ActorRef } from '../../access/acting-principal.js';
import { assertActor } from '../../access/actor-check.js';
import type { SagaDefinition } from '../../sagas/index.js';

/**
 * The `actor` field of a commerce saga's input (what `actorOf(principal)` gives).
 *
 * @example
 * ```ts
 * sagaActorSchema.parse({ kind: 'admin', id: 'admin-1' });
 * ```
 */
export const sagaActorSchema = z
  .object({
    kind: z.enum(['system', 'admin', 'service', 'user']),
    id: z.string().min(1),
    requestedBy: z.string().min(1).optional(),
  })
  .strict();

/** An actor as a saga's input holds it. */
export type SagaActor = z.infer<typeof sagaActorSchema>;

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
  if (input.actor === undefined) return systemActor(`saga:${definition}`);
  const { kind, id, requestedBy } = input.actor;
  return { kind, id, ...(requestedBy === undefined ? {} : { requestedBy }) };
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
