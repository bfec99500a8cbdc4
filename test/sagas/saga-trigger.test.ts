import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSagaTrigger, type SagaRunner } from '../../src/sagas/index.js';
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

    const trigger = () =>
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
      });

    it('starts one saga per matching event and skips other events', async () => {
      await placeOrder('o-1', 10);
      await events.append('o-1', [{ type: 'order.note_added', data: {} }]);
      const t = trigger();
      t.start();
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

    it('resumes from its stored checkpoint: a restarted trigger starts nothing twice', async () => {
      await placeOrder('o-1', 10);
      const first = trigger();
      first.start();
      await first.whenCaughtUp();
      await first.stop();
      expect(await db.store.triggerCheckpoint('fulfil-orders')).toBe(first.checkpoint);

      await placeOrder('o-2', 20);
      let started = 0;
      runner.on('saga:started', () => started++);
      const second = trigger();
      second.start();
      await second.whenCaughtUp();
      await second.stop();
      expect(started).toBe(1);
      expect((await runner.list()).map((s) => s.sagaId).sort()).toEqual(['order-o-1', 'order-o-2']);
    });

    it('reports and skips an event whose input is invalid; later events still start sagas', async () => {
      const errors: Error[] = [];
      runner.on('error', (err) => errors.push(err));
      await placeOrder('bad', -5);
      await placeOrder('o-3', 30);
      const t = trigger();
      t.start();
      await t.whenCaughtUp();
      await t.stop();
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toContain('skipped event');
      expect((await runner.waitFor('order-o-3')).status).toBe('completed');
      expect(await runner.status('order-bad')).toBeNull();
    });

    it('two triggers racing over the same log start each saga once', async () => {
      for (let i = 0; i < 20; i++) await placeOrder(`o-${i}`, i + 1);
      const a = trigger();
      const b = trigger();
      a.start();
      b.start();
      await Promise.all([a.whenCaughtUp(), b.whenCaughtUp()]);
      await Promise.all([a.stop(), b.stop()]);
      const sagas = await runner.list({ limit: 100 });
      expect(sagas).toHaveLength(20);
      for (const s of sagas) await runner.waitFor(s.sagaId);
      expect(parties.calls.filter((c) => c.name === 'validate_order')).toHaveLength(20);
    });
  });
});
