import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SagaInputError } from '../../src/sagas/index.js';
import {
  createMemorySagaStore,
  createSagaRunner,
  createSagaTrigger,
  isSagaInputError,
  sagaTriggerProcessorName,
  type SagaRunner,
  type SagaStore,
  type SagaTriggerOptions,
} from '../../src/sagas/index.js';
import { isProcessorDeadLetteredError, sqlDeadLetterQueue } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/index.js';
import type { EventStore } from '../../src/store/types.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import { ThirdParties, orderFulfillment } from './fixtures/order-fulfillment.js';

describe.each(sagaEngines)('saga trigger on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    let events: EventStore;
    let runner: SagaRunner;
    let parties: ThirdParties;
    let definition: ReturnType<typeof orderFulfillment> | undefined;
    // One definition object per test: a runner accepts a name once.
    const saga = () => (definition ??= orderFulfillment(parties));

    beforeEach(async () => {
      db = await engine.open();
      events = createEventStore(db.sql ? { sql: db.sql, schema: db.schema, pollIntervalMs: 50 } : {});
      await events.migrate();
      parties = new ThirdParties();
      definition = undefined;
      runner = db.runner();
      runner.startWorker();
    });

    afterEach(async () => {
      await db.close();
      await events.close();
    });

    const placeOrder = (orderId: string, amount: number) =>
      events.append(orderId, [{ type: 'order.placed', data: { orderId, amount } }], {
        aggregateType: 'order',
      });

    const trigger = (options: Partial<SagaTriggerOptions> = {}) =>
      createSagaTrigger({
        name: 'fulfil-orders',
        runner,
        events,
        definition: saga(),
        pollIntervalMs: 50,
        map: (event) =>
          event.type === 'order.placed'
            ? { input: event.data, sagaId: `order-${(event.data as { orderId: string }).orderId}` }
            : null,
        ...options,
      });
    const processorName = sagaTriggerProcessorName('fulfil-orders');
    /** The checkpoint stored in processing's state (the trigger keeps none of its own), read by a trigger not started. */
    const storedCheckpoint = async () => (await trigger().processor.lag()).checkpoint;
    const fast = { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 5, jitter: false };

    it('starts one saga per matching event and skips other events', async () => {
      await placeOrder('o-1', 10);
      await events.append('o-1', [{ type: 'order.note_added', data: {} }]);
      const t = trigger();
      await t.start();
      await placeOrder('o-2', 20);
      await t.whenCaughtUp();
      await t.stop();
      for (const id of ['order-o-1', 'order-o-2'])
        expect((await runner.waitFor(id)).status).toBe('completed');
      expect(await runner.list()).toHaveLength(2);
      expect(
        parties.calls
          .filter((c) => c.name === 'validate_order')
          .map((c) => c.idempotencyKey)
          .sort(),
      ).toEqual(['order-o-1:validate_order', 'order-o-2:validate_order']);
    });

    it('with eventTypes, map sees only those events, and the trigger still reads to the head', async () => {
      await placeOrder('o-1', 10);
      await events.append('o-1', [{ type: 'order.note_added', data: {} }]);
      const mapped: string[] = [];
      const t = trigger({
        eventTypes: ['order.placed'],
        map: (event) => {
          mapped.push(event.type);
          return { input: event.data, sagaId: `order-${(event.data as { orderId: string }).orderId}` };
        },
      });
      await t.start();
      await events.append('o-1', [{ type: 'order.note_added', data: {} }]);
      await t.whenCaughtUp();
      await t.stop();
      expect(mapped).toEqual(['order.placed']);
      expect(t.checkpoint).toBe(await events.headCheckpoint());
      expect((await runner.waitFor('order-o-1')).status).toBe('completed');
    });

    it('resumes from its stored checkpoint: a restarted trigger starts nothing twice', async () => {
      await placeOrder('o-1', 10);
      const first = trigger();
      await first.start();
      await first.whenCaughtUp();
      await first.stop();
      expect(first.checkpoint).toBe(await events.headCheckpoint());
      expect(await storedCheckpoint()).toBe(first.checkpoint);

      await placeOrder('o-2', 20);
      let started = 0;
      runner.on('saga:started', () => started++);
      const second = trigger();
      await second.start();
      await second.whenCaughtUp();
      await second.stop();
      expect(started).toBe(1);
      expect((await runner.list()).map((s) => s.sagaId).sort()).toEqual(['order-o-1', 'order-o-2']);
    });

    it("dead-letters an event whose input is invalid in processing's queue; later events still start sagas", async () => {
      const errors: Error[] = [];
      runner.on('error', (err) => errors.push(err));
      await placeOrder('bad', -5);
      await placeOrder('o-3', 30);
      const t = trigger({ retry: fast });
      const letters: { orderId: string; attempts: number }[] = [];
      t.processor.on('processor:dead_lettered', ({ event, attempts }) =>
        letters.push({ orderId: (event.data as { orderId: string }).orderId, attempts }),
      );
      await t.start();
      await t.whenCaughtUp();
      await t.stop();
      expect(t.processor.name).toBe(processorName);
      expect(letters).toEqual([{ orderId: 'bad', attempts: 2 }]);
      expect(errors).toHaveLength(1);
      expect(isProcessorDeadLetteredError(errors[0])).toBe(true);
      // Checked against the definition's input schema: a typed error with its code and the schema's issues.
      const cause = errors[0]?.cause;
      expect(isSagaInputError(cause)).toBe(true);
      expect(cause).toMatchObject({ code: 'SAGA_INPUT_INVALID', definition: 'order_fulfillment' });
      expect((cause as SagaInputError).issues.map((i) => i.path)).toEqual(['amount']);
      expect((cause as SagaInputError).message).toMatch(
        /maps to an input saga "order_fulfillment" refuses: amount/,
      );
      expect((await runner.waitFor('order-o-3')).status).toBe('completed');
      expect(await runner.status('order-bad')).toBeNull();
    });

    it('two triggers racing over the same log start each saga once', async () => {
      for (let i = 0; i < 20; i++) await placeOrder(`o-${i}`, i + 1);
      const a = trigger();
      const b = trigger();
      await a.start();
      await b.start();
      await Promise.all([a.whenCaughtUp(), b.whenCaughtUp()]);
      await Promise.all([a.stop(), b.stop()]);
      const sagas = await runner.list({ limit: 100 });
      expect(sagas).toHaveLength(20);
      for (const s of sagas) await runner.waitFor(s.sagaId);
      expect(parties.calls.filter((c) => c.name === 'validate_order')).toHaveLength(20);
    });

    it.skipIf(engine.name === 'memory')(
      "inserts a batch's sagas in the batch's transaction: a failed batch starts none of them",
      async () => {
        // The store inserts the saga of o-2, then fails: the batch's transaction must take the insert back.
        let failing = true;
        const store = db.store;
        const insertIn: NonNullable<SagaStore['insertIn']> = async (tx, sagas) => {
          const created = await store.insertIn!(tx, sagas);
          if (failing && sagas.some((s) => s.sagaId === 'order-o-2')) throw new Error('crash after insert');
          return created;
        };
        const flaky = new Proxy(store, {
          get(target, property) {
            if (property === 'insertIn') return insertIn;
            const value: unknown = Reflect.get(target, property, target);
            return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
          },
        });
        runner = db.runner({ store: flaky });
        runner.startWorker();
        const started: string[] = [];
        runner.on('saga:started', ({ sagaId }) => started.push(sagaId));
        runner.on('error', () => undefined);
        await placeOrder('o-1', 10);
        await placeOrder('o-2', 20);
        await placeOrder('o-3', 30);
        const t = trigger({ retry: fast });
        await t.start();
        await t.whenCaughtUp();
        expect(await runner.status('order-o-2')).toBeNull(); // rolled back with its batch
        expect(started.sort()).toEqual(['order-o-1', 'order-o-3']);
        const deadLetters = sqlDeadLetterQueue(db.sql!, db.schema);
        const [letter] = await deadLetters.list({ processor: processorName });
        expect(letter?.event.aggregateId).toBe('o-2');

        failing = false;
        expect(await t.processor.redrive()).toEqual({ redriven: [letter!.id], failed: [] });
        await t.stop();
        expect((await runner.waitFor('order-o-2')).status).toBe('completed');
        expect(started.sort()).toEqual(['order-o-1', 'order-o-2', 'order-o-3']);
        expect(await deadLetters.list({ processor: processorName })).toEqual([]);
      },
    );

    it.skipIf(engine.name === 'memory')(
      'with the saga store on another database, starts each saga once after the batch (idempotent by id)',
      async () => {
        runner = createSagaRunner({ store: createMemorySagaStore(), pollIntervalMs: 50 });
        runner.startWorker();
        let started = 0;
        runner.on('saga:started', () => started++);
        await placeOrder('o-1', 10);
        const first = trigger();
        await first.start();
        await first.whenCaughtUp();
        await first.stop();
        await placeOrder('o-2', 20);
        const second = trigger();
        await second.start();
        await second.whenCaughtUp();
        await second.stop();
        expect(started).toBe(2);
        for (const id of ['order-o-1', 'order-o-2'])
          expect((await runner.waitFor(id)).status).toBe('completed');
        await runner.stop({ drainMs: 0 });
      },
    );
  });
});
