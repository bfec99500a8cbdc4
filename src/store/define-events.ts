/**
 * Typed events: a catalog of event types and their zod schemas. The schemas
 * validate payloads at append (runtime), and their types flow into `append`,
 * reads, processors, projections and saga triggers as a union discriminated by
 * `type` (compile time), so a handler of `'task.created'` sees its `data` typed.
 */
import { z, type ZodType } from 'zod';
import { InvalidArgumentError } from '../core/errors.js';
import { EventTypeRegistry } from './event-registry.js';
import type { NewEvent, StoredEvent } from './types.js';

/**
 * The event map of an untyped store: any event type, `unknown` data. Every
 * generic of the library defaults to it, so untyped code keeps compiling.
 */
export type UntypedEvents = Record<string, unknown>;

/**
 * The stored events of event map `M` (payload by type), narrowed to the types
 * `T`: a union discriminated by `type`. Of {@link UntypedEvents} it is
 * `StoredEvent<unknown, string>`.
 *
 * @example
 * ```ts
 * type TaskEvent = EventOf<{ 'task.created': { title: string }; 'task.done': { at: string } }>;
 * function title(e: TaskEvent): string { return e.type === 'task.created' ? e.data.title : ''; }
 * ```
 */
export type EventOf<M, T extends keyof M & string = keyof M & string> = {
  [K in T]: StoredEvent<M[K], K>;
}[T];

/**
 * The events `append` accepts on a store of event map `M`: one per type, with
 * that type's payload.
 *
 * @example
 * ```ts
 * const e: NewEventOf<{ 'task.created': { title: string } }> = { type: 'task.created', data: { title: 'Ship' } };
 * ```
 */
export type NewEventOf<M, T extends keyof M & string = keyof M & string> = {
  [K in T]: NewEvent<K, M[K]>;
}[T];

/**
 * The events to append matching a union of stored events `E`.
 *
 * @example
 * ```ts
 * const e: NewEventFor<StoredEvent<{ title: string }, 'task.created'>> = { type: 'task.created', data: { title: 'a' } };
 * ```
 */
export type NewEventFor<E extends StoredEvent> =
  E extends StoredEvent<infer D, infer T> ? NewEvent<T, D> : never;

/**
 * The members of the event union `E` whose type is one of `T`. Of an untyped
 * union (`type: string`) it is `StoredEvent<unknown, T>`.
 *
 * @example
 * ```ts
 * type Created = EventOfType<CatalogEvent<typeof taskEvents>, 'task.created'>;
 * ```
 */
export type EventOfType<E extends StoredEvent, T extends string> = string extends E['type']
  ? StoredEvent<E['data'], T>
  : Extract<E, { type: T }>;

/**
 * The event map of a catalog.
 *
 * @example
 * ```ts
 * const taskEvents = defineEvents({ 'task.created': z.object({ title: z.string() }) });
 * type TaskEvents = EventMapOf<typeof taskEvents>; // { 'task.created': { title: string } }
 * ```
 */
export type EventMapOf<C> = C extends EventCatalog<infer M> ? M : never;

/**
 * The union of the stored events of a catalog: the type argument of a store typed by it.
 *
 * @example
 * ```ts
 * type TaskEvent = CatalogEvent<typeof taskEvents>;
 * const store: EventStore<TaskEvent> = createEventStore({ events: taskEvents });
 * ```
 */
export type CatalogEvent<C> = EventOf<EventMapOf<C>>;

/** The payload types (what `append` is given and what is stored) of a record of zod schemas. */
export type EventMapOfSchemas<S extends Record<string, ZodType>> = { [K in keyof S]: z.input<S[K]> };

/**
 * Event types and their schemas, made by {@link defineEvents}. Give it to
 * `createEventStore({ events })` to get a typed store.
 */
export interface EventCatalog<M> {
  /** The zod schema of each event type. */
  readonly schemas: { readonly [K in keyof M]: ZodType<unknown, M[K]> };
  /** The event types, in definition order. */
  readonly types: readonly (keyof M & string)[];
  /**
   * True when `event` has one of `types` (or, without `types`, any type of the
   * catalog); narrows it to that union. Checks the type only, not the payload.
   */
  is<T extends keyof M & string>(event: { readonly type: string }, ...types: T[]): event is EventOf<M, T>;
  /**
   * Validate a payload of `type`; throws a `ValidationError` (`VALIDATION_FAILED`),
   * or an `UnknownEventTypeError` for a type not in the catalog.
   */
  parse<T extends keyof M & string>(type: T, data: unknown): M[T];
  /** Build an event to append, its payload checked at compile time. */
  event<T extends keyof M & string>(
    type: T,
    data: M[T],
    extras?: Omit<NewEvent<T, M[T]>, 'type' | 'data'>,
  ): NewEvent<T, M[T]>;
}

const TYPE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * Declare event types with zod schemas: runtime validation on append and a
 * typed event union everywhere events are handled. Merge catalogs by spreading
 * their `schemas` into a new one.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { createEventStore, defineEvents } from '@creatorflow/sync';
 *
 * const taskEvents = defineEvents({
 *   'task.created': z.object({ title: z.string(), board: z.string() }),
 *   'task.moved': z.object({ column: z.enum(['todo', 'doing', 'done']) }),
 * });
 * const store = createEventStore({ events: taskEvents });
 * await store.append('task-1', [{ type: 'task.created', data: { title: 'Ship', board: 'b1' } }]);
 * const { events } = await store.readStream('task-1');
 * for (const e of events) if (e.type === 'task.moved') console.log(e.data.column);
 * ```
 */
export function defineEvents<const S extends Record<string, ZodType>>(
  schemas: S,
): EventCatalog<EventMapOfSchemas<S>> {
  type M = EventMapOfSchemas<S>;
  const own: Record<string, ZodType> = Object.create(null) as Record<string, ZodType>;
  // Strict: parse() refuses a type the catalog does not have (UNKNOWN_EVENT_TYPE).
  const registry = new EventTypeRegistry(true);
  for (const [type, schema] of Object.entries(schemas)) {
    if (!TYPE_NAME.test(type)) {
      throw new InvalidArgumentError(
        `event type "${type}" must be 1-200 characters of letters, digits and _ . : -`,
      );
    }
    if (!(schema instanceof z.ZodType)) {
      throw new InvalidArgumentError(`event type "${type}" needs a zod schema`);
    }
    own[type] = schema;
    registry.register(type, schema);
  }
  const types = Object.freeze(Object.keys(own)) as readonly (keyof M & string)[];
  const known = new Set<string>(types);
  return Object.freeze({
    schemas: Object.freeze(own) as EventCatalog<M>['schemas'],
    types,
    is<T extends keyof M & string>(event: { readonly type: string }, ...only: T[]): event is EventOf<M, T> {
      return only.length === 0 ? known.has(event.type) : (only as string[]).includes(event.type);
    },
    parse<T extends keyof M & string>(type: T, data: unknown): M[T] {
      registry.validate(type, data, 'event data');
      return data as M[T];
    },
    event<T extends keyof M & string>(
      type: T,
      data: M[T],
      extras?: Omit<NewEvent<T, M[T]>, 'type' | 'data'>,
    ): NewEvent<T, M[T]> {
      return { ...extras, type, data };
    },
  });
}
