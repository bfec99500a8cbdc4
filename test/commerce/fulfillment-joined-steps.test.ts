/**
 * Each fulfillment step that appends writes its step-log entry in its
 * append's statement: on PGlite and PostgreSQL, one statement writes a
 * step's events and its entry (validate_order, allocate_inventory,
 * process_payment, update_tiktok_status), where two did (the append, then the
 * runner's fenced step-log write). The outputs are what they were (the
 * version the order is known clean through, the allocation), whichever way
 * validate_order appended. An append answered by the step key's earlier
 * append writes no entry: validate_order still reads the stream and refuses
 * a cancelled order, and nothing is allocated or charged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  createCommerce,
  FakePaymentGateway,
  FakeShippingProvider,
  FakeTikTokShopClient,
  fulfillmentSagaId,
  orderStream,
  type Commerce,
  type InventoryLevelRow,
} from '../../src/commerce/index.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { interceptSql } from '../support/intercept-sql.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { FAST_RETRY, receivedOrder, restock } from './support.js';

const C = 'creator-1';
const T0 = '2026-03-01T10:00:00.000Z';

/** A statement sent, with what it was sent with. */
interface Sent {
  text: string;
  params: readonly unknown[];
}

/** The JSON arrays among `params` (parsed), and string arrays as they are. */
function paramValues(params: readonly unknown[]): unknown[] {
  return params.flatMap((p) => {
    if (Array.isArray(p)) return p as unknown[];
    if (typeof p !== 'string' || !p.startsWith('[')) return [];
    try {
      const parsed = JSON.parse(p) as unknown;
      return Array.isArray(parsed) ? (parsed as unknown[]) : [];
    } catch {
      return [];
    }
  });
}

/**
 * The statements that wrote a step's events (its idempotency key among the
 * append's keys) or its step-log entry (a write naming the saga and the step).
 */
function statementsOf(sent: readonly Sent[], sagaId: string, step: string): Sent[] {
  const key = `${sagaId}:${step}`;
  return sent.filter(({ params }) =>
    paramValues(params).some(
      (v) =>
        v === key ||
        (typeof v === 'object' &&
          v !== null &&
          (v as Record<string, unknown>)['saga_id'] === sagaId &&
          (v as Record<string, unknown>)['step_name'] === step),
    ),
  );
}

describe.each(sqlEngines)('fulfillment steps joined to their appends on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: TestDatabase;
    let store: EventStore;
    let commerce: Commerce;
    let payments: FakePaymentGateway;
    let sent: Sent[];

    beforeEach(async () => {
      db = await engine.open();
      sent = [];
      // Every statement, in transactions too, with its parameters.
      const sql: SqlClient = interceptSql(
        db.sql,
        (text, params, next) => {
          sent.push({ text, params: params ?? [] });
          return next();
        },
        { inTransactions: true },
      );
      store = createEventStore({ sql, schema: db.schema, occurredAtWindow: null });
      payments = new FakePaymentGateway();
      commerce = createCommerce({
        store,
        ports: {
          payments,
          shipping: new FakeShippingProvider({ name: 'shippo', carrier: 'USPS' }),
          tiktok: new FakeTikTokShopClient(),
        },
        stepRetry: FAST_RETRY,
        pollIntervalMs: 20,
      });
      await commerce.start();
      await restock(store, C, 'p1', 10);
    });

    afterEach(async () => {
      await commerce.stop();
      await store.close();
      await db.close();
    });

    const received = (orderId: string) =>
      receivedOrder(C, orderId, { lineItems: [{ productId: 'p1', quantity: 2 }], totalAmount: 10 });
    const history = (sagaId: string) => commerce.sagaRunner!.history(sagaId);
    const available = async () => {
      await commerce.whenIdle();
      const row = await commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'p1',
      });
      return Number(row?.available);
    };

    it("writes each appending step's events and its log entry in one statement", async () => {
      await store.append(orderStream(C, 'o1'), [received('o1')]);
      const state = await commerce.waitForFulfillment(C, 'o1');
      expect(state.status).toBe('completed');
      const sagaId = fulfillmentSagaId(C, 'o1');
      const joined = ['validate_order', 'allocate_inventory', 'process_payment', 'update_tiktok_status'];
      // Per step: the statements that wrote its events or its entry, and those that wrote both.
      const count = (step: string) => {
        const writes = statementsOf(sent, sagaId, step);
        const both = writes.filter((w) => /record_joined_steps[\s\S]*append_batch/.test(w.text));
        return { statements: writes.length, joined: both.length };
      };
      expect(Object.fromEntries(joined.map((step) => [step, count(step)]))).toEqual(
        Object.fromEntries(joined.map((step) => [step, { statements: 1, joined: 1 }])),
      );
      // The label is bought outside: its entry is the runner's write, alone.
      expect(count('generate_shipping_label')).toEqual({ statements: 1, joined: 0 });
      // The outputs later steps read are what they were.
      const outputs = Object.fromEntries((await history(sagaId)).map((h) => [h.name, h.output]));
      expect(outputs['validate_order']).toMatchObject({ cleanThrough: 2, totalAmount: 10 });
      expect(outputs['allocate_inventory']).toEqual([{ productId: 'p1', quantity: 2 }]);
      expect(await available()).toBe(8);
    });

    /** Start the saga on `orderId` directly (not from a received order: no trigger starts another). */
    const startDirect = (orderId: string, extra: { cleanThrough?: number } = {}) =>
      commerce.sagaRunner!.start(
        commerce.fulfillment!,
        {
          creatorId: C,
          shopId: 'shop-1',
          orderId,
          lineItems: [{ productId: 'p1', quantity: 1 }],
          totalAmount: 10,
          currency: 'USD',
          ...extra,
        },
        { sagaId: `${orderId}-direct` },
      );
    /** A status change: an order event nothing reacts to. */
    const statusChanged = (orderId: string) =>
      commerceEvent('tiktok.order_status_changed', {
        creatorId: C,
        shopId: 'shop-1',
        orderId,
        status: 'AWAITING_SHIPMENT',
        rawStatus: 'AWAITING_SHIPMENT',
        isOnHold: false,
        updateTime: T0,
      });

    it('joins validate_order after reading the stream, at the version read (no clean version given)', async () => {
      const runner = commerce.sagaRunner!;
      await store.append(orderStream(C, 'o3'), [statusChanged('o3')]);
      // Started without the trigger's clean version: the step reads the stream first.
      const { sagaId } = await startDirect('o3');
      expect((await runner.waitFor(sagaId)).status).toBe('completed');
      const writes = statementsOf(sent, sagaId, 'validate_order');
      expect(writes).toHaveLength(1);
      expect(writes[0]!.text).toMatch(/record_joined_steps/);
      const validated = (await history(sagaId)).find((h) => h.name === 'validate_order');
      // The stream read through 1, the validation appended at it: clean through 2.
      expect(validated?.output).toMatchObject({ cleanThrough: 2 });
    });

    it('after a write in between, joins validate_order at the version it read, with that output', async () => {
      // Known clean through 1 (as a trigger's page says); another event came in before the step appended.
      await store.append(orderStream(C, 'o4'), [statusChanged('o4'), statusChanged('o4')]);
      const runner = commerce.sagaRunner!;
      const { sagaId } = await startDirect('o4', { cleanThrough: 1 });
      expect((await runner.waitFor(sagaId)).status).toBe('completed');
      const writes = statementsOf(sent, sagaId, 'validate_order');
      // The append at 1 refused (the version moved: no entry with it), then the one at 2 with the entry.
      expect(writes).toHaveLength(2);
      for (const w of writes) expect(w.text).toMatch(/record_joined_steps[\s\S]*append_batch/);
      const validated = (await history(sagaId)).find((h) => h.name === 'validate_order');
      expect(validated?.output).toMatchObject({ cleanThrough: 3 });
    });

    it("writes no entry with an append its key's earlier append answers: the step still refuses a cancelled order", async () => {
      const sagaId = 'o5-direct';
      // An earlier run validated (its append went through, its entry never did), then the order was cancelled.
      await store.append(orderStream(C, 'o5'), [statusChanged('o5')]);
      await store.append(
        orderStream(C, 'o5'),
        [commerceEvent('order.validated', { creatorId: C, orderId: 'o5' })],
        {
          aggregateType: 'order',
          idempotencyKey: `${sagaId}:validate_order`,
        },
      );
      await store.append(orderStream(C, 'o5'), [
        // By the system: no cancellation saga starts beside this one.
        commerceEvent('order.cancelled', {
          creatorId: C,
          orderId: 'o5',
          cancelledBy: 'system',
          cancelledAt: T0,
        }),
      ]);
      const runner = commerce.sagaRunner!;
      await startDirect('o5', { cleanThrough: 1 });
      const state = await runner.waitFor(sagaId);
      expect(state.status).not.toBe('completed');
      expect(state.error?.message).toMatch(/cancelled/);
      const steps = (await history(sagaId)).map((h) => [h.name, h.outcome]);
      expect(steps[0]).toEqual(['validate_order', 'failed']);
      expect(steps.some(([name]) => name === 'allocate_inventory')).toBe(false);
      expect(payments.netCaptured()).toBe(0);
      expect(await available()).toBe(10);
    });
  });
});
