/**
 * Issue 12, item 6: the resolver writes conflict records to a stream of their
 * own, so an entity's version never moves under a client's expected version;
 * and it registers its own event schemas, so a `strict` store (or one typed by
 * a catalog) accepts `conflict.detected`, `conflict.resolved` and
 * `conflict.escalated`. On memory, PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CONFLICT_ESCALATED_EVENT,
  CONFLICT_RESOLVED_EVENT,
  ConflictResolver,
  GENERIC_CONFLICT_DETECTED_EVENT,
  conflictEventSchemas,
  conflictStreamId,
  type ContenderInput,
} from '../../src/conflicts/index.js';
import { ValidationError } from '../../src/core/errors.js';
import { createEventStore, defineEvents, type EventStore } from '../../src/store/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
let seq = 0;
/** A task board's change from `source` (priorities configured below, nothing commerce). */
const change = (
  taskId: string,
  source: string,
  title: string,
  offsetMs: number,
  entityType = 'task',
): ContenderInput => ({
  entityType,
  entityId: taskId,
  source,
  sourceId: `${source}-1`,
  eventId: `evt-${++seq}`,
  hlc: { wallMs: T0 + offsetMs, logical: 0, node: source },
  changes: { title },
});

const taskEvents = defineEvents({
  ...conflictEventSchemas,
  'task.created': z.object({ title: z.string() }),
  'task.renamed': z.object({ title: z.string() }),
});

interface Backend {
  name: string;
  available: boolean;
  open(): Promise<{ sql?: TestDatabase['sql']; schema?: string; close(): Promise<void> }>;
}
const backends: Backend[] = [
  { name: 'memory', available: true, open: async () => ({ close: async () => undefined }) },
  ...sqlEngines.map((e) => ({ name: e.name, available: e.available, open: () => e.open() })),
];

describe.each(backends)('conflict records on $name', (backend) => {
  let db: Awaited<ReturnType<Backend['open']>>;
  let store: EventStore;
  let resolver: ConflictResolver;
  const clock = T0 + 1_000;

  beforeAll(async () => {
    if (!backend.available) return;
    db = await backend.open();
    // Strict: only registered types; the resolver registers its own.
    store = createEventStore({
      ...(db.sql ? { sql: db.sql, schema: db.schema! } : {}),
      strict: true,
      eventTypes: { 'task.created': z.object({ title: z.string() }) },
    });
    await store.migrate();
    resolver = new ConflictResolver({
      store,
      now: () => clock,
      config: {
        priorities: { board_app: 5, calendar_sync: 3 },
        // Notes wait for a person.
        entities: { task: { strategy: 'lastWriteWins' }, note: { strategy: 'manual' } },
      },
    });
    await resolver.migrate();
  });
  afterAll(async () => {
    resolver?.close();
    await store?.close();
    await db?.close();
  });

  it.skipIf(!backend.available)(
    "resolving leaves the entity's stream and version alone; the records go to conflicts-<type>-<id>",
    async () => {
      await store.append('task-t1', [{ type: 'task.created', data: { title: 'Draft' } }], {
        aggregateType: 'task',
        expectedVersion: 'no_stream',
      });
      const record = await resolver.resolve({
        entityType: 'task',
        entityId: 't1',
        base: { title: 'Draft' },
        contenders: [change('t1', 'board_app', 'Ship it', 0), change('t1', 'calendar_sync', 'Ship', 10)],
      });
      expect(record.status).toBe('resolved');
      expect((await store.readStream('task-t1')).version).toBe(1);
      // The client's expected version still holds.
      await expect(
        store.append('task-t1', [{ type: 'task.created', data: { title: 'Ship it' } }], {
          expectedVersion: 1,
        }),
      ).resolves.toMatchObject({ nextVersion: 2 });
      const conflicts = await store.readStream(conflictStreamId('task', 't1'));
      expect(conflicts.events.map((e) => [e.type, e.aggregateType])).toEqual([
        [GENERIC_CONFLICT_DETECTED_EVENT, 'conflict'],
        [CONFLICT_RESOLVED_EVENT, 'conflict'],
      ]);
      expect(conflictStreamId('task', 't1')).toBe('conflicts-task-t1');
    },
  );

  it.skipIf(!backend.available)(
    'a strict store accepts escalated conflicts and the manual decision',
    async () => {
      const record = await resolver.resolve({
        entityType: 'note',
        entityId: 'n2',
        base: { title: 'Draft' },
        contenders: [
          change('n2', 'board_app', 'A', 0, 'note'),
          change('n2', 'calendar_sync', 'B', 5, 'note'),
        ],
      });
      expect(record.status).toBe('pending');
      const decided = await resolver.resolveManually(record.conflictId, {
        values: { title: 'B' },
        adminId: 'admin-1',
      });
      expect(decided.status).toBe('manually_resolved');
      const types = (await store.readStream(conflictStreamId('note', 'n2'))).events.map((e) => e.type);
      expect(types).toEqual([
        GENERIC_CONFLICT_DETECTED_EVENT,
        CONFLICT_ESCALATED_EVENT,
        CONFLICT_RESOLVED_EVENT,
      ]);
      expect((await store.readStream('note-n2')).version).toBe(0);
    },
  );
});

describe('the library event schemas', () => {
  it('a store typed by a catalog with conflictEventSchemas takes the resolver events', async () => {
    const store = createEventStore({ events: taskEvents });
    const resolver = new ConflictResolver({
      store,
      config: {
        priorities: { board_app: 5, calendar_sync: 3 },
        entities: { task: { strategy: 'lastWriteWins' } },
      },
    });
    await resolver.resolve({
      entityType: 'task',
      entityId: 't9',
      base: { title: 'x' },
      contenders: [change('t9', 'board_app', 'y', 0), change('t9', 'calendar_sync', 'z', 1)],
    });
    const { events } = await store.readStream(conflictStreamId('task', 't9'));
    const resolved = events.find((e) => e.type === CONFLICT_RESOLVED_EVENT);
    // Typed through the catalog: no cast.
    expect(resolved?.type === CONFLICT_RESOLVED_EVENT && resolved.data.set).toEqual({ title: 'y' });
    resolver.close();
    await store.close();
  });

  it('refuse a malformed conflict payload', async () => {
    const store = createEventStore({ events: taskEvents });
    const bad = { type: CONFLICT_RESOLVED_EVENT, data: { conflictId: 'c1' } };
    await expect(store.append('conflicts-task-x', [bad as never])).rejects.toBeInstanceOf(ValidationError);
    expect(conflictEventSchemas[GENERIC_CONFLICT_DETECTED_EVENT].safeParse({}).success).toBe(false);
    await store.close();
  });
});
