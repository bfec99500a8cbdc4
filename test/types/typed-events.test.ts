/**
 * Typed events: the catalog's zod schemas type `append`, reads, processors,
 * projections and saga triggers (checked by `tsc` over this file in
 * `npm run lint`: an `expectTypeOf` or `@ts-expect-error` that no longer holds
 * fails the build) and validate payloads at runtime.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createEventStore,
  createProcessor,
  createProjection,
  createSagaRunner,
  createSagaTrigger,
  createMemorySagaStore,
  defineEvents,
  defineProjection,
  defineSaga,
  UnknownEventTypeError,
  ValidationError,
  type CatalogEvent,
  type EventMapOf,
  type EventOf,
  type EventStore,
  type SagaStepConfig,
  type StoredEvent,
} from '../../src/index.js';
import { waitFor } from '../support/wait.js';

const taskEvents = defineEvents({
  'task.created': z.object({ title: z.string(), board: z.string() }),
  'task.moved': z.object({ column: z.enum(['todo', 'doing', 'done']) }),
  'task.deleted': z.object({}),
});
type TaskEvents = EventMapOf<typeof taskEvents>;
type TaskEvent = CatalogEvent<typeof taskEvents>;

describe('typed events: compile-time', () => {
  it('a catalog maps each type to its payload', () => {
    expectTypeOf<keyof TaskEvents>().toEqualTypeOf<'task.created' | 'task.moved' | 'task.deleted'>();
    expectTypeOf<TaskEvents['task.created']>().toEqualTypeOf<{ title: string; board: string }>();
    expectTypeOf<TaskEvents['task.moved']>().toEqualTypeOf<{ column: 'todo' | 'doing' | 'done' }>();
    expectTypeOf(taskEvents.types).toEqualTypeOf<
      readonly ('task.created' | 'task.moved' | 'task.deleted')[]
    >();
  });

  it('append accepts only catalog events with their payloads', () => {
    const store = createEventStore({ events: taskEvents });
    expectTypeOf(store).toEqualTypeOf<EventStore<TaskEvent>>();
    const append = (): unknown => [
      store.append('t', [{ type: 'task.created', data: { title: 'a', board: 'b' } }]),
      store.append('t', [taskEvents.event('task.moved', { column: 'done' })]),
      // @ts-expect-error an unknown event type
      store.append('t', [{ type: 'task.renamed', data: {} }]),
      // @ts-expect-error a payload of the wrong shape
      store.append('t', [{ type: 'task.moved', data: { column: 'later' } }]),
      // @ts-expect-error a payload missing a field
      store.append('t', [{ type: 'task.created', data: { title: 'a' } }]),
    ];
    expect(typeof append).toBe('function');
  });

  it('reads return a union discriminated by type', async () => {
    const store = createEventStore({ events: taskEvents });
    const { events } = await store.readStream('t');
    expectTypeOf(events).toEqualTypeOf<TaskEvent[]>();
    expectTypeOf<TaskEvent>().toEqualTypeOf<EventOf<TaskEvents>>();
    for (const e of events) {
      if (e.type === 'task.moved')
        expectTypeOf(e.data).toEqualTypeOf<{ column: 'todo' | 'doing' | 'done' }>();
      if (e.type === 'task.created') expectTypeOf(e.data.title).toBeString();
    }
    const page = await store.readAll();
    expectTypeOf(page.events).toEqualTypeOf<TaskEvent[]>();
    await store.close();
  });

  it('an untyped store keeps unknown data and any type', () => {
    const store = createEventStore();
    expectTypeOf(store).toEqualTypeOf<EventStore>();
    expectTypeOf<EventOf<Record<string, unknown>>>().toEqualTypeOf<StoredEvent<unknown, string>>();
    const append = (): unknown => store.append('x', [{ type: 'anything', data: 42 }]);
    expect(typeof append).toBe('function');
    // A typed store goes wherever an untyped one is expected.
    const untyped: EventStore = createEventStore({ events: taskEvents });
    expect(untyped.schema).toBe('creatorflow');
  });

  it('processors see the events of their eventTypes', () => {
    const store = createEventStore({ events: taskEvents });
    createProcessor({
      store,
      name: 'titles',
      eventTypes: ['task.created'],
      handle: (e) => {
        expectTypeOf(e.type).toEqualTypeOf<'task.created'>();
        expectTypeOf(e.data).toEqualTypeOf<{ title: string; board: string }>();
      },
    });
    createProcessor({
      store,
      name: 'all',
      handleBatch: (events) => {
        expectTypeOf(events).toEqualTypeOf<readonly TaskEvent[]>();
      },
      // @ts-expect-error not a type of the catalog
      eventTypes: ['task.renamed'],
    });
    createProcessor({
      store: createEventStore(),
      name: 'untyped',
      handle: (e) => {
        expectTypeOf(e.data).toBeUnknown();
      },
    });
  });

  it('projection handlers see their own event', () => {
    defineProjection<{ id: string; title: string; column: string }, TaskEvent>({
      name: 'board',
      key: ['id'],
      migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY, title text, "column" text)'],
      handlers: {
        'task.created': {
          key: (e) => ({ id: e.aggregateId }),
          apply: (_row, e) => ({ title: e.data.title, column: 'todo' }),
        },
        'task.moved': {
          key: (e) => ({ id: e.aggregateId }),
          apply: (_row, e) => ({ column: e.data.column }),
        },
        // @ts-expect-error not a type of the catalog
        'task.renamed': { key: () => null, apply: () => undefined },
      },
    });
  });

  it('saga triggers map typed events', () => {
    const runner = createSagaRunner({ store: createMemorySagaStore() });
    const definition = defineSaga({
      name: 'archive',
      steps: [{ name: 'archive', action: () => null, compensation: 'none' }],
    });
    createSagaTrigger({
      name: 'archive-deleted',
      runner,
      events: createEventStore({ events: taskEvents }),
      definition,
      map: (e) => (e.type === 'task.created' ? { input: e.data.board } : null),
    });
  });
});

describe('typed saga steps: compile-time', () => {
  it("a step's output types its compensation and still fits a saga", () => {
    const pay: SagaStepConfig<{ amount: number }, { chargeId: string }> = {
      name: 'pay',
      action: async ({ input }) => ({ chargeId: `ch-${input.amount}` }),
      compensation: {
        name: 'refund',
        run: ({ output }) => {
          expectTypeOf(output).toEqualTypeOf<{ chargeId: string } | null>();
        },
      },
    };
    const wrong: SagaStepConfig<{ amount: number }, { chargeId: string }> = {
      ...pay,
      // @ts-expect-error the action must return the declared output
      action: () => ({ id: 1 }),
    };
    const saga = defineSaga<{ amount: number }>({ name: 'typed-output', steps: [pay] });
    expect(saga.steps.map((s) => s.name)).toEqual(['pay']);
    expect(wrong.name).toBe('pay');
  });
});

describe('typed events: runtime', () => {
  it('a store typed by a catalog validates payloads and is strict', async () => {
    const store = createEventStore({ events: taskEvents });
    await store.append('task-1', [{ type: 'task.created', data: { title: 'Ship', board: 'b1' } }]);
    const bad = { type: 'task.moved', data: { column: 'later' } } as unknown as {
      type: 'task.moved';
      data: { column: 'done' };
    };
    await expect(store.append('task-1', [bad])).rejects.toBeInstanceOf(ValidationError);
    const unknownType = { type: 'task.renamed', data: {} } as unknown as {
      type: 'task.deleted';
      data: Record<string, never>;
    };
    await expect(store.append('task-1', [unknownType])).rejects.toBeInstanceOf(UnknownEventTypeError);
    expect((await store.readStream('task-1')).version).toBe(1);
    await store.close();
  });

  it('strict: false keeps other types open', async () => {
    const store = createEventStore({ events: taskEvents, strict: false });
    const other = { type: 'board.created', data: {} } as unknown as {
      type: 'task.deleted';
      data: Record<string, never>;
    };
    await store.append('b', [other]);
    expect((await store.readAll()).events.map((e) => e.type as string)).toEqual(['board.created']);
    await store.close();
  });

  it('is() narrows, parse() validates, event() builds', () => {
    const e = { type: 'task.moved' as string, data: { column: 'doing' } as unknown };
    expect(taskEvents.is(e, 'task.created')).toBe(false);
    expect(taskEvents.is(e)).toBe(true);
    expect(taskEvents.is({ type: 'other' })).toBe(false);
    expect(taskEvents.parse('task.moved', { column: 'done' })).toEqual({ column: 'done' });
    expect(() => taskEvents.parse('task.moved', { column: 1 })).toThrow(ValidationError);
    expect(() => taskEvents.parse('nope' as 'task.moved', {})).toThrow(UnknownEventTypeError);
    expect(taskEvents.event('task.deleted', {}, { id: 'x' })).toEqual({
      type: 'task.deleted',
      data: {},
      id: 'x',
    });
  });

  it('defineEvents refuses a bad type name or a non-schema', () => {
    expect(() => defineEvents({ 'has space': z.object({}) })).toThrow(/letters, digits/);
    expect(() => defineEvents({ ok: {} as z.ZodType })).toThrow(/zod schema/);
  });

  it('a typed processor and projection run on the typed store', async () => {
    const store = createEventStore({ events: taskEvents });
    const seen: string[] = [];
    const processor = createProcessor({
      store,
      name: 'titles',
      eventTypes: ['task.created'],
      handle: (e) => void seen.push(e.data.title),
    });
    const board = createProjection({
      store,
      definition: defineProjection<{ id: string; column: string }, TaskEvent>({
        name: 'board',
        key: ['id'],
        migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY, "column" text NOT NULL)'],
        handlers: {
          'task.created': { key: (e) => ({ id: e.aggregateId }), apply: () => ({ column: 'todo' }) },
          'task.moved': {
            key: (e) => ({ id: e.aggregateId }),
            apply: (_row, e) => ({ column: e.data.column }),
          },
          'task.deleted': { key: (e) => ({ id: e.aggregateId }), apply: () => null },
        },
      }),
    });
    await processor.start();
    await board.start();
    await store.append('t1', [
      { type: 'task.created', data: { title: 'Ship', board: 'b' } },
      { type: 'task.moved', data: { column: 'done' } },
    ]);
    await store.append('t2', [{ type: 'task.created', data: { title: 'Test', board: 'b' } }]);
    await processor.whenCaughtUp();
    await board.whenCaughtUp();
    await waitFor(() => seen.length === 2, { what: 'two titles' });
    expect(seen).toEqual(['Ship', 'Test']);
    expect(await board.rows()).toEqual(
      expect.arrayContaining([
        { id: 't1', column: 'done' },
        { id: 't2', column: 'todo' },
      ]),
    );
    await processor.stop();
    await board.stop();
    await store.close();
  });
});
