/**
 * Failures are loud by default: a projection whose handler keeps throwing
 * dead-letters the event, emits a typed `'error'` on its processor and on
 * itself, and logs one error line — through the host's logger, on stderr by
 * default, nowhere with `silentLogger`. Engine health counts the letter and
 * says `degraded`.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { createSyncEngine, type SyncEngine } from '../../src/engine.js';
import {
  createProjection,
  defineProjection,
  isProcessorDeadLetteredError,
  ProcessorDeadLetteredError,
  type Projection,
} from '../../src/processing/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { recordingLogger } from '../support/recording-logger.js';
import { storeEngines, type TestStore } from './support.js';

const FAST_RETRY = { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 2 } as const;

/** Counts orders per sku; an order of sku "poison" throws every time. */
const orderCounts = defineProjection<{ sku: string; orders: number }>({
  name: 'order_counts',
  key: ['sku'],
  migrations: ['CREATE TABLE :TABLE: (sku text PRIMARY KEY, orders int NOT NULL)'],
  handlers: {
    'order.placed': {
      key: (e) => ({ sku: (e.data as { sku: string }).sku }),
      apply: (row, e) => {
        if ((e.data as { sku: string }).sku === 'poison') throw new Error('cannot price sku "poison"');
        return { orders: (row?.orders ?? 0) + 1 };
      },
    },
  },
  mode: 'async',
});

describe.each(storeEngines)('a failing projection on $name', (engine) => {
  let t: TestStore;
  let projection: Projection | undefined;

  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    await projection?.stop();
    projection = undefined;
    vi.restoreAllMocks();
    if (engine.available) await t.close();
  });

  async function runPoisoned(logger?: Logger) {
    projection = createProjection({
      store: t.store,
      definition: orderCounts,
      processor: { retry: FAST_RETRY, lease: false, lagIntervalMs: 0 },
      ...(logger ? { logger } : {}),
    });
    const projectionErrors: unknown[] = [];
    const processorErrors: unknown[] = [];
    const deadLettered: string[] = [];
    projection.on('error', (err) => projectionErrors.push(err));
    projection.processor!.on('error', (err) => processorErrors.push(err));
    projection.processor!.on('processor:dead_lettered', ({ event }) => deadLettered.push(event.id));
    await projection.start();
    await t.store.append('order-1', [{ type: 'order.placed', data: { sku: 'a' } }]);
    const poisonId = randomUUID();
    await t.store.append('order-2', [{ id: poisonId, type: 'order.placed', data: { sku: 'poison' } }]);
    const last = await t.store.append('order-3', [{ type: 'order.placed', data: { sku: 'a' } }]);
    await projection.whenCaughtUp({ to: last.checkpoint, timeoutMs: 30_000 });
    return { poison: { id: poisonId }, projectionErrors, processorErrors, deadLettered };
  }

  it.skipIf(!engine.available)(
    'dead-letters the event, emits a typed error on processor and projection, and logs one error line',
    async () => {
      const logger = recordingLogger();
      const run = await runPoisoned(logger);
      // Processing went on past the poison event.
      expect(await projection!.rows()).toEqual([{ sku: 'a', orders: 2 }]);
      expect(run.deadLettered).toEqual([run.poison.id]);
      const letters = await projection!.processor!.deadLetters.list({ processor: 'projection:order_counts' });
      expect(letters.map((l) => l.event.id)).toEqual([run.poison.id]);

      expect(run.processorErrors).toHaveLength(1);
      expect(run.projectionErrors).toEqual(run.processorErrors); // forwarded, the same object
      const err = run.processorErrors[0];
      expect(err).toBeInstanceOf(ProcessorDeadLetteredError);
      expect(isProcessorDeadLetteredError(err)).toBe(true);
      expect(err).toMatchObject({
        code: 'PROCESSOR_DEAD_LETTERED',
        processor: 'projection:order_counts',
        eventId: run.poison.id,
        eventType: 'order.placed',
        attempts: FAST_RETRY.attempts,
        deadLetterId: letters[0]!.id,
        message: expect.stringMatching(/cannot price sku "poison"/),
      });
      expect((err as Error).cause).toMatchObject({ message: 'cannot price sku "poison"' });

      const errors = logger.records.filter((r) => r.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        msg: 'event dead-lettered',
        obj: {
          component: 'processor:projection:order_counts',
          eventId: run.poison.id,
          eventType: 'order.placed',
          deadLetterId: letters[0]!.id,
          err,
        },
      });
    },
  );

  it.skipIf(!engine.available)('writes the dead letter to stderr when no logger is given', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const run = await runPoisoned();
    const lines = write.mock.calls
      .map(([chunk]) => String(chunk))
      .filter((c) => c.includes('[processor:projection:order_counts]'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ERROR \[processor:projection:order_counts\] event dead-lettered \{/);
    expect(lines[0]).toContain(run.poison.id);
    expect(lines[0]).toContain('PROCESSOR_DEAD_LETTERED');
  });

  it.skipIf(!engine.available)('writes nothing with silentLogger, and still emits the error', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const run = await runPoisoned(silentLogger);
    expect(write.mock.calls.filter(([c]) => String(c).includes('order_counts'))).toEqual([]);
    expect(run.projectionErrors).toHaveLength(1);
  });

  it.skipIf(!engine.available)('does not crash the host when nobody listens to error', async () => {
    projection = createProjection({
      store: t.store,
      definition: orderCounts,
      processor: { retry: FAST_RETRY, lease: false, lagIntervalMs: 0 },
      logger: silentLogger,
    });
    await projection.start();
    const last = await t.store.append('order-1', [{ type: 'order.placed', data: { sku: 'poison' } }]);
    await projection.whenCaughtUp({ to: last.checkpoint, timeoutMs: 30_000 });
    expect(projection.listenerCount('error')).toBe(0);
    expect(await projection.processor!.deadLetters.list()).toHaveLength(1);
  });

  it.skipIf(!engine.available)('goes on when an error listener throws, and logs that', async () => {
    const logger = recordingLogger();
    projection = createProjection({
      store: t.store,
      definition: orderCounts,
      processor: { retry: FAST_RETRY, lease: false, lagIntervalMs: 0 },
      logger,
    });
    projection.on('error', () => {
      throw new Error('listener bug');
    });
    await projection.start();
    await t.store.append('order-1', [{ type: 'order.placed', data: { sku: 'poison' } }]);
    const last = await t.store.append('order-2', [{ type: 'order.placed', data: { sku: 'a' } }]);
    await projection.whenCaughtUp({ to: last.checkpoint, timeoutMs: 30_000 });
    expect(await projection.rows()).toEqual([{ sku: 'a', orders: 1 }]);
    expect(logger.records.map((r) => r.msg)).toEqual(['event dead-lettered', "an 'error' listener threw"]);
  });
});

describe.each(sqlEngines)('engine health on $name', (dbEngine) => {
  let db: TestDatabase;
  let engine: SyncEngine | undefined;

  beforeEach(async () => {
    if (dbEngine.available) db = await dbEngine.open();
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    if (dbEngine.available) await db.close();
  });

  it.skipIf(!dbEngine.available)(
    'counts the dead letter per processor and degrades until it is dealt with',
    async () => {
      const logger = recordingLogger();
      engine = createSyncEngine({
        sql: db.sql,
        schema: db.schema,
        projections: [orderCounts],
        channels: [],
        pubsub: null,
        logger,
      });
      await engine.start();
      const before = await engine.health();
      expect(before.status).toBe('ok');
      expect(before.deadLetters).toEqual({});
      expect(before.sagas).toEqual({ active: 0, deadLetters: 0 });

      const projection = engine.projections.get('order_counts')!;
      const errors: unknown[] = [];
      projection.on('error', (err) => errors.push(err));
      await engine.store.append('order-1', [{ type: 'order.placed', data: { sku: 'poison' } }]);
      // The engine's projection uses the default retry policy (5 attempts, backoff from 100 ms).
      await engine.whenCaughtUp({ timeoutMs: 30_000 });
      expect(errors).toEqual([expect.objectContaining({ code: 'PROCESSOR_DEAD_LETTERED' })]);
      expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(1); // the engine's logger reached it

      const after = await engine.health();
      expect(after.deadLetters).toEqual({ 'projection:order_counts': 1 });
      expect(after.status).toBe('degraded');

      // Deleting the letter (a person gave up on it) makes health whole again.
      const [letter] = await projection.processor!.deadLetters.list();
      await projection.processor!.deadLetters.remove(letter!.id);
      const cleared = await engine.health();
      expect(cleared.deadLetters).toEqual({});
      expect(cleared.status).toBe('ok');
    },
  );
});
