/**
 * The engine against the specification's rules, one case per finding of the
 * independent check (issue 13): the payment processor is the authority on
 * payments, a terminal winner keeps what happened before it, shipments follow
 * the shipping provider on purpose, and a TikTok vs admin disagreement is
 * settled by priority.
 */
import { describe, expect, it } from 'vitest';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';
import { createConflictEngine, type ContenderInput } from '../../src/conflicts/index.js';
import { DETECTED_AT } from './support/arbitraries.js';

const engine = createConflictEngine(commerceConflictConfig());

function contender(
  entityType: string,
  eventId: string,
  source: string,
  atMs: number,
  changes: Record<string, string | number>,
): ContenderInput {
  return {
    entityType,
    entityId: `${entityType}-1`,
    source,
    sourceId: 's',
    eventId,
    hlc: { wallMs: DETECTED_AT - 4_000 + atMs, logical: 0, node: 'n' },
    changes,
  };
}

function resolve(
  entityType: string,
  contenders: ContenderInput[],
  base: Record<string, string | number> = {},
) {
  return engine.resolve({
    entityType,
    entityId: `${entityType}-1`,
    contenders,
    base,
    detectedAt: DETECTED_AT,
  });
}

describe('payments: the payment processor overrides other sources', () => {
  it.each(['failed', 'authorized', 'pending'])(
    "a scheduled sync's 'completed' does not beat the processor's '%s'",
    (status) => {
      const r = resolve('payment', [
        contender('payment', 'sync', 'scheduled_sync', 500, { status: 'completed' }),
        contender('payment', 'processor', 'payment_processor', 0, { status }),
      ]);
      expect(r.status).toBe('resolved');
      expect(r.after!.status).toBe(status);
      expect(r.winner).toBe('processor');
      expect(r.losers).toEqual(['sync']);
    },
  );

  it("of several completions the processor's is recorded, not the earliest", () => {
    const r = resolve('payment', [
      contender('payment', 'admin', 'manual_admin', 0, { status: 'completed', amount: 120 }),
      contender('payment', 'processor', 'payment_processor', 1_000, { status: 'completed', amount: 125 }),
    ]);
    expect(r.after).toMatchObject({ status: 'completed', amount: 125 });
    expect(r.winner).toBe('processor');
  });

  it("a completion by another source keeps the processor's other fields of the window", () => {
    const r = resolve('payment', [
      contender('payment', 'admin', 'manual_admin', 1_000, { status: 'completed' }),
      contender('payment', 'processor', 'payment_processor', 2_000, { method: 'card' }),
    ]);
    expect(r.after).toMatchObject({ status: 'completed', method: 'card' });
    expect(r.winner).toBe('admin');
    expect(r.merged).toEqual(['processor']);
    expect(r.losers).toEqual([]);
  });
});

describe('a terminal status and the other fields of its window', () => {
  it('a tracking number set just before the delivery is kept', () => {
    const r = resolve('shipment', [
      contender('shipment', 'tracking', 'automated_system', 0, { trackingNumber: 'TRK-1' }),
      contender('shipment', 'delivered', 'shipping_provider', 1_000, { status: 'delivered' }),
    ]);
    expect(r.after).toMatchObject({ status: 'delivered', trackingNumber: 'TRK-1' });
    expect(r.rule).toBe('terminal_state_wins');
    expect(r.merged).toEqual(['tracking']);
  });

  it('a change after the terminal state is lost, as on a terminal base (a shipped order cannot be modified)', () => {
    const r = resolve('order', [
      contender('order', 'shipped', 'automated_system', 0, { status: 'shipped' }),
      contender('order', 'note', 'manual_admin', 1_000, { note: 'gift wrap' }),
    ]);
    expect(r.after).toEqual({ status: 'shipped' });
    expect(r.losers).toEqual(['note']);
  });
});

describe('documented choices', () => {
  it('shipments: the shipping provider is the authority, over the higher-priority payment processor', () => {
    const r = resolve('shipment', [
      contender('shipment', 'carrier', 'shipping_provider', 0, { carrier: 'ups' }),
      contender('shipment', 'processor', 'payment_processor', 1_000, { carrier: 'dhl' }),
    ]);
    expect(r.after!.carrier).toBe('ups');
    expect(r.fields.carrier!.rule).toBe('preferred_source');
  });

  it('TikTok Shop vs a manual admin change is settled by priority, not escalated', () => {
    const r = resolve(
      'inventory',
      [
        contender('inventory', 'tiktok', 'tiktok_webhook', 0, { quantity: 50, title: 'TikTok' }),
        contender('inventory', 'admin', 'manual_admin', 1_000, { quantity: 48, title: 'Admin' }),
      ],
      { quantity: 50 },
    );
    expect(r.kind).toBe('tiktok_vs_manual_changes');
    expect(r.status).toBe('resolved');
    expect(r.after).toMatchObject({ quantity: 48, title: 'TikTok' });
  });

  it('TikTok Shop vs another platform escalates ("any TikTok Shop sync conflict")', () => {
    const r = resolve(
      'inventory',
      [
        contender('inventory', 'tiktok', 'tiktok_webhook', 0, { quantity: 50 }),
        contender('inventory', 'sync', 'scheduled_sync', 1_000, { quantity: 49 }),
      ],
      { quantity: 50 },
    );
    expect(r.status).toBe('escalated');
    expect(r.escalation!.reasons.map((x) => x.code)).toEqual(['cross_platform_mismatch']);
  });
});

describe("orders: a capture against the order's TikTok total", () => {
  const capture = (eventId: string, captured: number, orderTotal = 100) =>
    contender('order', eventId, 'payment_processor', 0, { totalAmount: captured, orderTotal });
  const status = (s: string) => contender('order', 'tiktok', 'tiktok_webhook', 100, { status: s });

  it.each([{ baseStatus: 'paid' }, { baseStatus: 'shipped' }, { baseStatus: 'delivered' }])(
    'twenty per cent off escalates with both figures when the order is $baseStatus (terminal or not)',
    ({ baseStatus }) => {
      const r = resolve('order', [capture('cap', 80), status('received')], {
        status: baseStatus,
        totalAmount: 80,
      });
      expect(r.status).toBe('escalated');
      expect(r.escalation!.reasons).toEqual([
        expect.objectContaining({
          code: 'amount_discrepancy',
          field: 'totalAmount',
          value: 20,
          threshold: 10,
        }),
      ]);
      expect(r.contenders.find((c) => c.eventId === 'cap')!.changes).toEqual({
        totalAmount: 80,
        orderTotal: 100,
      });
    },
  );

  it('exactly 10 % off does not escalate; an equal capture settles to its amount', () => {
    for (const captured of [90, 110, 100]) {
      const r = resolve('order', [capture('cap', captured), status('received')], { status: 'paid' });
      expect(r.status).toBe('resolved');
      expect(r.after!.totalAmount).toBe(captured);
    }
  });

  it("TikTok's total beside the capture: more than 10 % escalates though shipped; over $1000 apart while unshipped", () => {
    const tiktokTotal = (total: number) =>
      contender('order', 'tiktok-total', 'tiktok_webhook', 0, { totalAmount: total });
    const reasons = (r: ReturnType<typeof resolve>) => r.escalation?.reasons.map((x) => x.code);
    const off = [capture('cap', 80), tiktokTotal(100)];
    const unshipped = resolve('order', off, { status: 'paid', totalAmount: 80 });
    expect(reasons(unshipped)).toEqual(['amount_discrepancy', 'cross_platform_mismatch']);
    expect(unshipped.kind).toBe('cross_platform_inconsistency');
    expect(reasons(resolve('order', off, { status: 'shipped', totalAmount: 80 }))).toEqual([
      'amount_discrepancy',
    ]);
    const big = [capture('cap', 990, 1_050), tiktokTotal(1_050)];
    expect(reasons(resolve('order', big, { status: 'paid', totalAmount: 990 }))).toEqual([
      'order_value',
      'cross_platform_mismatch',
    ]);
    // A shipped order absorbs every limit but the capture's discrepancy (5.7 % here).
    expect(resolve('order', big, { status: 'shipped', totalAmount: 990 }).status).toBe('resolved');
  });

  it('an order over $1000 escalates (order value), a refund over $500 too (payment amount on refunds)', () => {
    const big = resolve('order', [capture('cap', 1_050, 1_100), status('received')], { status: 'paid' });
    expect(big.escalation!.reasons.map((x) => x.code)).toEqual(['order_value']);
    const refunds = createConflictEngine(
      commerceConflictConfig({ entities: { order: { paymentAmountField: 'refundedAmount' } } }),
    );
    const refund = refunds.resolve({
      entityType: 'order',
      entityId: 'order-1',
      contenders: [
        contender('order', 'refund', 'payment_processor', 0, { refundedAmount: 600 }),
        status('cancelled'),
      ],
      base: { status: 'refunded' },
      detectedAt: DETECTED_AT,
    });
    expect(refund.escalation!.reasons.map((x) => [x.code, x.value])).toEqual([['payment_amount', 600]]);
  });
});
