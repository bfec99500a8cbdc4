/**
 * `createSyncEngine` typed by a `defineEvents` catalog: its store's `append`,
 * the projections it runs, its sagas' `startOn`, the read models and workers
 * built on its store all see the catalog's union, without casts. Compile-time
 * checks (`expectTypeOf`, `@ts-expect-error`) hold only if this file compiles:
 * `tsc` checks it in `npm run lint`, and compile-checks.test.ts compiles it in
 * the test run. The engine itself runs in examples/task-board's test.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createProcessor,
  createSyncEngine,
  defineEvents,
  defineProjection,
  defineSaga,
  type CatalogEvent,
  type EventStore,
  type ProjectionDefinition,
  type SqlClient,
  type StoredEvent,
  type SyncEngine,
} from '../../src/index.js';

const taskEvents = defineEvents({
  'task.created': z.object({ title: z.string(), board: z.string() }),
  'task.moved': z.object({ column: z.enum(['todo', 'doing', 'done']) }),
});
type TaskEvent = CatalogEvent<typeof taskEvents>;

const orderEvents = defineEvents({ 'order.placed': z.object({ total: z.number() }) });
type OrderEvent = CatalogEvent<typeof orderEvents>;

/** Same type names as the task catalog, another payload. */
const looseTaskEvents = defineEvents({ 'task.moved': z.object({ column: z.number() }) });

type BoardRow = { id: string; column: string };
const migrations = ['CREATE TABLE :TABLE: (id text PRIMARY KEY, "column" text NOT NULL)'];

const board = defineProjection<BoardRow, TaskEvent>({
  name: 'board',
  key: ['id'],
  migrations,
  handlers: {
    'task.created': { key: (e) => ({ id: e.aggregateId }), apply: () => ({ column: 'todo' }) },
    'task.moved': { key: (e) => ({ id: e.aggregateId }), apply: (_r, e) => ({ column: e.data.column }) },
  },
});
const orders = defineProjection<{ id: string; total: number }, OrderEvent>({
  name: 'orders',
  key: ['id'],
  migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY, total numeric NOT NULL)'],
  handlers: {
    'order.placed': { key: (e) => ({ id: e.aggregateId }), apply: (_r, e) => ({ total: e.data.total }) },
  },
});
const loose = defineProjection<BoardRow, CatalogEvent<typeof looseTaskEvents>>({
  name: 'loose',
  key: ['id'],
  migrations,
  handlers: {
    'task.moved': {
      key: (e) => ({ id: e.aggregateId }),
      apply: (_r, e) => ({ column: String(e.data.column) }),
    },
  },
});
const untyped = defineProjection<BoardRow>({
  name: 'untyped',
  key: ['id'],
  migrations,
  handlers: { 'task.created': { key: (e) => ({ id: e.aggregateId }), apply: () => ({ column: 'todo' }) } },
});

const review = defineSaga({
  name: 'review',
  steps: [{ name: 'notify', action: () => null, compensation: 'none' }],
});

/** Never called: the engine needs a database; these bodies are checked by the compiler. */
declare const sql: SqlClient;

describe('createSyncEngine typed by a catalog: compile-time', () => {
  it('the engine and its store carry the catalog union', () => {
    const typed = (): unknown => {
      const engine = createSyncEngine({ sql, store: { events: taskEvents } });
      expectTypeOf(engine).toEqualTypeOf<SyncEngine<TaskEvent>>();
      expectTypeOf(engine.store).toEqualTypeOf<EventStore<TaskEvent>>();
      // A typed engine goes wherever an untyped one is expected (instrumentEngine, host code).
      const asUntyped: SyncEngine = engine;
      return asUntyped;
    };
    const plain = (): unknown => {
      const engine = createSyncEngine({ sql });
      expectTypeOf(engine.store).toEqualTypeOf<EventStore>();
      return engine.store.append('x', [{ type: 'anything', data: 42 }]);
    };
    expect([typed, plain].every((f) => typeof f === 'function')).toBe(true);
    // The other catalogs below differ from the engine's in types and in payloads.
    expect([orderEvents.types, looseTaskEvents.types]).toEqual([['order.placed'], ['task.moved']]);
  });

  it("append takes only the catalog's events, with their payloads", () => {
    const check = (engine: SyncEngine<TaskEvent>): unknown => [
      engine.store.append('t', [{ type: 'task.created', data: { title: 'a', board: 'b' } }]),
      engine.store.append('t', [taskEvents.event('task.moved', { column: 'done' })], { expectedVersion: 1 }),
      // @ts-expect-error an event type the catalog lacks
      engine.store.append('t', [{ type: 'task.renamed', data: {} }]),
      // @ts-expect-error a payload of the wrong shape
      engine.store.append('t', [{ type: 'task.moved', data: { column: 'later' } }]),
      // @ts-expect-error a payload missing a field
      engine.store.append('t', [{ type: 'task.created', data: { title: 'a' } }]),
    ];
    expect(typeof check).toBe('function');
  });

  it("takes projections of its catalog (or untyped ones), refuses another catalog's", () => {
    const check = (): unknown => [
      createSyncEngine({ sql, store: { events: taskEvents }, projections: [board, untyped] }),
      // @ts-expect-error a projection of event types the engine's catalog lacks
      createSyncEngine({ sql, store: { events: taskEvents }, projections: [board, orders] }),
      // @ts-expect-error a projection of the same type names with another payload
      createSyncEngine({ sql, store: { events: taskEvents }, projections: [loose] }),
      // @ts-expect-error an untyped engine validates nothing: a typed projection would be a lie
      createSyncEngine({ sql, projections: [board] }),
      // Lists built elsewhere, typed `ProjectionDefinition`, still fit any engine.
      createSyncEngine({ sql, store: { events: taskEvents }, projections: [] as ProjectionDefinition[] }),
    ];
    expect(typeof check).toBe('function');
  });

  it("sagas' startOn sees the union, discriminated by type", () => {
    const check = (): unknown => [
      createSyncEngine({
        sql,
        store: { events: taskEvents },
        sagas: [
          {
            definition: review,
            startOn: (e) => {
              expectTypeOf(e).toEqualTypeOf<TaskEvent>();
              if (e.type !== 'task.moved') return null;
              expectTypeOf(e.data).toEqualTypeOf<{ column: 'todo' | 'doing' | 'done' }>();
              return e.data.column === 'done' ? { input: { task: e.aggregateId } } : null;
            },
          },
        ],
      }),
      createSyncEngine({
        sql,
        store: { events: taskEvents },
        sagas: (store) => {
          expectTypeOf(store).toEqualTypeOf<EventStore<TaskEvent>>();
          return [
            {
              definition: review,
              // @ts-expect-error 'task.renamed' is not a type of the catalog: the comparison cannot hold
              startOn: (e) => (e.type === 'task.renamed' ? { input: {} } : null),
            },
          ];
        },
      }),
      createSyncEngine({
        sql,
        store: { events: taskEvents },
        sagas: [
          {
            definition: review,
            // @ts-expect-error a 'task.created' payload has no column
            startOn: (e) => (e.type === 'task.created' && e.data.column === 'done' ? { input: {} } : null),
          },
        ],
      }),
    ];
    expect(typeof check).toBe('function');
  });

  it('read models and workers built on its store get it typed, so their processors do', () => {
    const check = (): unknown =>
      createSyncEngine({
        sql,
        store: { events: taskEvents },
        readModels: (store) => {
          createProcessor({
            store,
            name: 'titles',
            eventTypes: ['task.created'],
            handle: (e) => {
              expectTypeOf(e.data).toEqualTypeOf<{ title: string; board: string }>();
            },
          });
          createProcessor({
            store,
            name: 'wrong',
            // @ts-expect-error not a type of the catalog
            eventTypes: ['order.placed'],
            handle: () => undefined,
          });
          return [];
        },
        workers: [
          {
            name: 'mover',
            start: ({ store }) => {
              expectTypeOf(store).toEqualTypeOf<EventStore<TaskEvent>>();
            },
            stop: () => undefined,
          },
        ],
      });
    expect(typeof check).toBe('function');
  });

  it('an untyped engine keeps unknown data and any type', () => {
    const check = (): unknown =>
      createSyncEngine({
        sql,
        projections: [untyped],
        sagas: [
          {
            definition: review,
            startOn: (e) => {
              expectTypeOf(e).toEqualTypeOf<StoredEvent>();
              return e.type === 'anything' ? { input: e.data } : null;
            },
          },
        ],
      });
    expect(typeof check).toBe('function');
  });
});
