import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import {
  SagaNotFoundError,
  TerminalError,
  defineSaga,
  type SagaEventMap,
  type SagaRunner,
} from '../../src/sagas/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import { FAST_RETRY, ORDER_STEPS, ThirdParties, orderFulfillment } from './fixtures/order-fulfillment.js';

const input = { orderId: 'o-1', amount: 25 };

describe.each(sagaEngines)('saga runner on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    let parties: ThirdParties;
    let runner: SagaRunner;
    let events: { name: keyof SagaEventMap; payload: unknown }[];
    let logger: ReturnType<typeof recordingLogger>;

    beforeEach(async () => {
      db = await engine.open();
      parties = new ThirdParties();
      logger = recordingLogger();
      runner = db.runner({ retry: FAST_RETRY, compensationRetry: FAST_RETRY, logger });
      events = [];
      for (const name of [
        'saga:started',
        'saga:step_completed',
        'saga:completed',
        'saga:compensated',
        'saga:compensation_failed',
        'saga:dead_lettered',
      ] as const) {
        runner.on(name, (payload: unknown) => events.push({ name, payload }));
      }
      runner.startWorker();
    });

    afterEach(async () => {
      await db.close();
    });

    it("a compensated saga's cursor is -1 and its event's error prints as an error, not [object Object]", async () => {
      const saga = defineSaga({
        name: 'printable-error',
        steps: [
          {
            name: 'reserve',
            action: () => ({ id: 'r-1' }),
            compensation: { name: 'unreserve', run: () => null },
          },
          {
            name: 'pay',
            action: () => {
              throw new TerminalError('card declined');
            },
            compensation: 'none',
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId);
      expect(state).toMatchObject({ status: 'compensated', cursor: -1 });
      const compensated = events.find((e) => e.name === 'saga:compensated')!
        .payload as SagaEventMap['saga:compensated'][0];
      expect(`${compensated.error}`).toBe('TerminalError [SAGA_STEP_TERMINAL]: card declined');
      // Still plain data: JSON carries only the fields.
      expect(JSON.parse(JSON.stringify(compensated.error))).toEqual({
        name: 'TerminalError',
        message: 'card declined',
        code: 'SAGA_STEP_TERMINAL',
        effect: 'none',
      });
    });

    it('runs every step once, in order, with an idempotency key of saga id + step name', async () => {
      const saga = orderFulfillment(parties);
      const { sagaId, created } = await runner.start(saga, input, { sagaId: 'order-o-1' });
      expect(created).toBe(true);
      const state = await runner.waitFor(sagaId);
      expect(state.status).toBe('completed');
      expect(state.leaseOwner).toBeNull();
      expect(parties.calls.map((c) => [c.name, c.idempotencyKey])).toEqual(
        ORDER_STEPS.map((s) => [s, `order-o-1:${s}`]),
      );
      const history = await runner.history(sagaId);
      expect(history.map((h) => [h.name, h.phase, h.outcome, h.attempts])).toEqual(
        ORDER_STEPS.map((s) => [s, 'action', 'completed', 1]),
      );
      expect(history[0]?.output).toEqual({ ref: 'validate_order#order-o-1:validate_order' });
      expect(events.map((e) => e.name)).toEqual([
        'saga:started',
        ...ORDER_STEPS.map(() => 'saga:step_completed'),
        'saga:completed',
      ]);
    });

    it('passes earlier outputs to later steps and to compensations', async () => {
      const seen: unknown[] = [];
      const saga = defineSaga({
        name: 'outputs',
        steps: [
          {
            name: 'reserve',
            action: () => ({ reservation: 'r-9', at: new Date(0) }),
            compensation: { name: 'unreserve', run: ({ output }) => void seen.push(['unreserve', output]) },
          },
          {
            name: 'charge',
            action: ({ results }) => {
              seen.push(['charge', results]);
              throw new (class extends Error {})('boom');
            },
            compensation: 'none',
            retry: { attempts: 1 },
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      expect((await runner.waitFor(sagaId)).status).toBe('compensated');
      // Outputs pass through JSON, exactly as a resuming worker would read them back.
      const stored = { reservation: 'r-9', at: '1970-01-01T00:00:00.000Z' };
      expect(seen).toEqual([
        ['charge', { reserve: stored }],
        ['unreserve', stored],
      ]);
    });

    it('retries transient failures with backoff and records the attempts', async () => {
      parties.fail('process_payment', 'transient', 'transient', 'ok');
      const { sagaId } = await runner.start(orderFulfillment(parties), input);
      expect((await runner.waitFor(sagaId)).status).toBe('completed');
      const payment = (await runner.history(sagaId)).find((h) => h.name === 'process_payment');
      expect(payment?.attempts).toBe(3);
      expect(parties.calls.filter((c) => c.name === 'process_payment').map((c) => c.attempt)).toEqual([
        1, 2, 3,
      ]);
      // Every attempt carries the same idempotency key.
      expect(
        new Set(parties.calls.filter((c) => c.name === 'process_payment').map((c) => c.idempotencyKey)).size,
      ).toBe(1);
    });

    it('compensates completed steps in reverse order after a TerminalError', async () => {
      parties.fail('generate_shipping_label', 'terminal');
      const { sagaId } = await runner.start(orderFulfillment(parties), input);
      const state = await runner.waitFor(sagaId);
      expect(state.status).toBe('compensated');
      expect(state.error).toMatchObject({ name: 'TerminalError', code: 'SAGA_STEP_TERMINAL' });
      expect(parties.names()).toEqual([
        'validate_order',
        'allocate_inventory',
        'process_payment',
        'generate_shipping_label',
        'refund_payment',
        'release_inventory',
        'mark_order_failed',
      ]);
      // A terminal error is not retried.
      expect(parties.calls.filter((c) => c.name === 'generate_shipping_label')).toHaveLength(1);
      const history = await runner.history(sagaId);
      expect(history.filter((h) => h.phase === 'compensation').map((h) => h.name)).toEqual([
        'refund_payment',
        'release_inventory',
        'mark_order_failed',
      ]);
      expect(history.find((h) => h.outcome === 'failed')?.name).toBe('generate_shipping_label');
      expect(events.some((e) => e.name === 'saga:compensated')).toBe(true);
    });

    it('compensates once retries are exhausted', async () => {
      parties.fail('allocate_inventory', 'transient');
      const { sagaId } = await runner.start(orderFulfillment(parties), input);
      expect((await runner.waitFor(sagaId)).status).toBe('compensated');
      expect(parties.calls.filter((c) => c.name === 'allocate_inventory')).toHaveLength(FAST_RETRY.attempts);
      // allocate_inventory never answered: it may have acted, so it is undone
      // too (before validate_order), and its history entry says so.
      expect(parties.names().slice(-2)).toEqual(['release_inventory', 'mark_order_failed']);
      const failed = (await runner.history(sagaId)).find((h) => h.outcome === 'failed');
      expect(failed?.error).toMatchObject({ effect: 'unknown' });
    });

    it('undoes a step whose effect is unknown by its idempotency key, and redrives it when that undo fails', async () => {
      const seen: unknown[] = [];
      let refundWorks = false;
      const saga = defineSaga({
        name: 'lost_reply',
        steps: [
          {
            name: 'charge',
            retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 1 },
            // The provider charged, but the reply never came back.
            action: () => {
              throw new Error('socket hang up');
            },
            compensation: {
              name: 'refund',
              retry: { attempts: 1 },
              run: (ctx) => {
                seen.push({
                  outcome: ctx.actionOutcome,
                  output: ctx.output,
                  key: ctx.actionIdempotencyKey,
                });
                if (!refundWorks) throw new Error('refunds are down');
              },
            },
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null, { sagaId: 'lost' });
      expect((await runner.waitFor(sagaId)).status).toBe('compensation_failed');
      expect(seen).toEqual([{ outcome: 'unknown', output: null, key: 'lost:charge' }]);
      expect((await runner.deadLetters({ sagaId })).map((d) => d.compensation)).toEqual(['refund']);
      refundWorks = true;
      await runner.redrive(sagaId);
      expect((await runner.waitFor(sagaId)).status).toBe('compensated');
      expect(seen).toHaveLength(2);
    });

    it('does not undo a step that threw a TerminalError (it said it did nothing)', async () => {
      parties.fail('allocate_inventory', 'terminal');
      const { sagaId } = await runner.start(orderFulfillment(parties), input);
      expect((await runner.waitFor(sagaId)).status).toBe('compensated');
      expect(parties.names()).not.toContain('release_inventory');
      expect(parties.names().slice(-1)).toEqual(['mark_order_failed']);
    });

    it('undoes a step refused for good after an attempt whose outcome is unknown', async () => {
      const seen: string[] = [];
      const saga = defineSaga({
        name: 'refused_after_lost_reply',
        steps: [
          {
            name: 'charge',
            retry: { attempts: 3, minTimeoutMs: 1, maxTimeoutMs: 1 },
            action: ({ attempt }) => {
              // The first attempt charged and its reply was lost; the retry is then refused
              // (say, the card was frozen meanwhile): that proves nothing about the first.
              if (attempt === 1) throw new Error('socket hang up');
              throw new TerminalError('card declined');
            },
            compensation: {
              name: 'refund',
              retry: { attempts: 1 },
              run: (ctx) => {
                seen.push(ctx.actionOutcome);
              },
            },
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null, { sagaId: 'refused-after-lost' });
      expect((await runner.waitFor(sagaId)).status).toBe('compensated');
      expect(seen).toEqual(['unknown']);
      const failed = (await runner.history(sagaId)).find((h) => h.outcome === 'failed');
      expect(failed?.error).toMatchObject({ name: 'TerminalError', effect: 'unknown' });
    });

    it("undoes a step refused with TerminalError({ effect: 'unknown' }) on its first attempt", async () => {
      const seen: string[] = [];
      const saga = defineSaga({
        name: 'refused_key_held',
        steps: [
          {
            name: 'label',
            retry: { attempts: 1 },
            // A takeover re-ran the step; the provider already holds the key's first request.
            action: () => {
              throw new TerminalError('idempotency key reused', { effect: 'unknown' });
            },
            compensation: {
              name: 'void_label',
              retry: { attempts: 1 },
              run: (ctx) => {
                seen.push(ctx.actionOutcome);
              },
            },
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null, { sagaId: 'refused-key-held' });
      expect((await runner.waitFor(sagaId)).status).toBe('compensated');
      expect(seen).toEqual(['unknown']);
    });

    it('times out a hanging attempt, retries it and aborts its signal', async () => {
      const signals: AbortSignal[] = [];
      const saga = defineSaga({
        name: 'slow',
        steps: [
          {
            name: 'hang_once',
            timeoutMs: 30,
            retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 1 },
            action: ({ attempt, signal }) => {
              signals.push(signal);
              if (attempt === 1) return new Promise(() => undefined);
              return 'done';
            },
            compensation: 'none',
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      expect((await runner.waitFor(sagaId)).status).toBe('completed');
      expect(signals[0]?.aborted).toBe(true);
      expect(signals[0]?.reason).toMatchObject({ code: 'SAGA_STEP_TIMEOUT' });
      expect((await runner.history(sagaId))[0]).toMatchObject({ attempts: 2, output: 'done' });
    });

    it('dead-letters a compensation that keeps failing, finishes the others, and can be redriven', async () => {
      parties.fail('update_tiktok_status', 'terminal').fail('refund_payment', 'transient');
      let failedEvents = 0;
      runner.on('saga:compensation_failed', () => failedEvents++);
      const { sagaId } = await runner.start(orderFulfillment(parties), input, { sagaId: 'order-dl' });
      const state = await runner.waitFor(sagaId);
      expect(state.status).toBe('compensation_failed');
      expect(state.compensationFailed).toBe(true);
      expect(failedEvents).toBe(1);
      // The earlier compensations still ran after refund_payment was dead-lettered.
      expect(
        parties
          .names()
          .filter((n) => n === 'cancel_shipping' || n === 'release_inventory' || n === 'mark_order_failed'),
      ).toEqual(['cancel_shipping', 'release_inventory', 'mark_order_failed']);
      const letters = await runner.deadLetters({ sagaId });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        step: 'process_payment',
        compensation: 'refund_payment',
        attempts: FAST_RETRY.attempts,
        definition: 'order_fulfillment',
        resolvedAt: null,
      });
      expect(await runner.list({ status: 'compensation_failed' })).toHaveLength(1);
      // Loud without a listener: one error line names the saga and the compensation.
      expect(logger.records.filter((r) => r.level === 'error')).toEqual([
        {
          level: 'error',
          msg: 'saga compensation dead-lettered',
          obj: expect.objectContaining({
            component: 'saga:order_fulfillment',
            sagaId,
            compensation: 'refund_payment',
            err: expect.objectContaining({ message: expect.any(String) }),
          }),
        },
      ]);
      expect(await runner.deadLetterCount()).toBe(1);

      // A person fixes the payment provider and redrives: only refund_payment runs again.
      parties.fail('refund_payment', 'ok');
      const before = parties.calls.length;
      await runner.redrive(sagaId);
      expect((await runner.waitFor(sagaId)).status).toBe('compensated');
      expect(parties.calls.slice(before).map((c) => c.name)).toEqual(['refund_payment']);
      expect(await runner.deadLetters({ sagaId })).toHaveLength(0);
      expect(await runner.deadLetters({ sagaId, includeResolved: true })).toHaveLength(1);
      expect(await runner.deadLetterCount()).toBe(0);
    });

    it('starts a saga id once', async () => {
      const saga = orderFulfillment(parties);
      const [a, b] = await Promise.all([
        runner.start(saga, input, { sagaId: 'same' }),
        runner.start(saga, input, { sagaId: 'same' }),
      ]);
      expect([a.created, b.created].sort()).toEqual([false, true]);
      await runner.waitFor('same');
      const again = await runner.start(saga, input, { sagaId: 'same' });
      expect(again.created).toBe(false);
      expect(parties.calls.filter((c) => c.name === 'validate_order')).toHaveLength(1);
    });

    it('rejects invalid input and changes nothing', async () => {
      const saga = orderFulfillment(parties);
      await expect(runner.start(saga, { orderId: '', amount: -1 }, { sagaId: 'bad' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect(await runner.status('bad')).toBeNull();
    });

    it('lets a host start sagas that another worker runs', async () => {
      const host = db.runner();
      const saga = orderFulfillment(parties);
      // Only workers that registered a definition claim its sagas.
      runner.register(saga);
      const { sagaId } = await host.start(saga, input);
      expect(host.activeCount).toBe(0);
      const state = await host.waitFor(sagaId);
      expect(state.status).toBe('completed');
      expect((await host.history(sagaId)).every((h) => h.workerId === runner.workerId)).toBe(true);
    });

    it('reports status, lists sagas and refuses to redrive what is not stuck', async () => {
      const saga = orderFulfillment(parties);
      const { sagaId } = await runner.start(saga, input);
      await runner.waitFor(sagaId);
      expect(await runner.list({ definition: 'order_fulfillment', status: 'completed' })).toEqual([
        expect.objectContaining({ sagaId, status: 'completed', cursor: ORDER_STEPS.length }),
      ]);
      await expect(runner.redrive(sagaId)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(runner.redrive('missing')).rejects.toBeInstanceOf(SagaNotFoundError);
    });

    it('releases unfinished sagas on stop so another worker resumes them', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const saga = defineSaga({
        name: 'gated',
        steps: [
          { name: 'first', action: () => 1, compensation: 'none' },
          { name: 'wait', action: () => gate, compensation: 'none' },
          { name: 'last', action: () => 3, compensation: 'none' },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      await new Promise<void>((resolve) =>
        runner.on('saga:step_completed', (e) => e.step === 'first' && resolve()),
      );
      // Stop while "wait" is in flight: drainMs 0 aborts it, its lease is released at once.
      await runner.stop({ drainMs: 0 });
      expect((await runner.status(sagaId))?.leaseOwner).toBeNull();
      release();
      const other = db.runner({ leaseMs: 60_000 });
      other.register(saga);
      other.startWorker();
      const state = await other.waitFor(sagaId);
      expect(state.status).toBe('completed');
      const history = await other.history(sagaId);
      expect(history.map((h) => [h.name, h.workerId])).toEqual([
        ['first', runner.workerId],
        ['wait', other.workerId],
        ['last', other.workerId],
      ]);
    });
  });
});
