/**
 * Safety laws: stock never rises above the lowest absolute value by
 * resolution alone, terminal states absorb, escalation fires exactly when a
 * threshold is crossed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createConflictEngine, type ContenderInput } from '../../src/conflicts/index.js';
import {
  DETECTED_AT,
  NO_ESCALATION,
  bases,
  conflictArb,
  contendersArb,
  inventoryFields,
  orderFields,
  paymentFields,
} from './support/arbitraries.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';

const engine = createConflictEngine(commerceConflictConfig());
const calm = createConflictEngine(commerceConflictConfig(NO_ESCALATION));

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('stock safety', () => {
  it('resolution alone never raises stock above the lowest contender absolute value (positive deltas are real restocks, counted apart)', () => {
    fc.assert(
      fc.property(conflictArb('inventory', inventoryFields, bases.inventory, { maxLength: 8 }), (c) => {
        const r = calm.resolve(c);
        const absolutes = c.contenders.flatMap((x) =>
          typeof x.changes?.quantity === 'number' ? [x.changes.quantity] : [],
        );
        const deltas = c.contenders.flatMap((x) =>
          x.deltas?.quantity === undefined ? [] : [x.deltas.quantity],
        );
        const restocks = sum(deltas.filter((d) => d > 0));
        const quantity = r.set.quantity ?? r.after?.quantity;
        if (absolutes.length > 0) {
          expect(quantity as number).toBeLessThanOrEqual(Math.min(...absolutes) + restocks);
          expect(quantity).toBe(Math.min(...absolutes) + sum(deltas));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('deltas are never discarded: with no absolute value, stock is base plus every delta (or an adjustment when the base is unknown)', () => {
    const deltasOnly = contendersArb(
      'inventory',
      fc.record({ deltas: fc.record({ quantity: fc.integer({ min: -30, max: 60 }) }) }),
    );
    fc.assert(
      fc.property(deltasOnly, fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }), (cs, base) => {
        const r = calm.resolve({
          entityType: 'inventory',
          entityId: 'inventory-1',
          contenders: cs,
          ...(base === undefined ? {} : { base: { quantity: base } }),
          detectedAt: DETECTED_AT,
        });
        const total = sum(cs.map((x) => x.deltas!.quantity!));
        if (base === undefined) expect(r.adjust).toEqual({ quantity: total });
        else expect(r.set).toEqual({ quantity: base + total });
        expect(r.losers).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a restock delta beside a lower absolute count is kept, not discarded as "higher stock"', () => {
    const r = calm.resolve({
      entityType: 'inventory',
      entityId: 'sku-1',
      base: { quantity: 10 },
      detectedAt: DETECTED_AT,
      contenders: [
        {
          entityType: 'inventory',
          entityId: 'sku-1',
          source: 'tiktok_webhook',
          sourceId: 'shop',
          eventId: 'sale',
          hlc: { wallMs: DETECTED_AT - 10, logical: 0, node: 'a' },
          changes: { quantity: 8 },
        },
        {
          entityType: 'inventory',
          entityId: 'sku-1',
          source: 'manual_admin',
          sourceId: 'adm',
          eventId: 'restock',
          hlc: { wallMs: DETECTED_AT - 5, logical: 0, node: 'b' },
          deltas: { quantity: 50 },
        },
      ],
    });
    expect(r.set.quantity).toBe(58);
    expect(r.losers).toEqual([]);
  });
});

describe('terminal states absorb', () => {
  it('a completed payment is never changed by any set of contenders (any strategy outcome, escalation included)', () => {
    const arb = conflictArb('payment', paymentFields, bases.payment).map((c) => ({
      ...c,
      base: { ...c.base, status: 'completed' },
    }));
    fc.assert(
      fc.property(arb, (c) => {
        for (const r of [engine.resolve(c), calm.resolve(c)]) {
          expect(r.status).toBe('resolved');
          expect(r.set).toEqual({});
          expect(r.after).toEqual(c.base);
          expect(r.rule).toBe('terminal_state_absorbs');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('shipped and delivered orders are never changed', () => {
    const arb = fc
      .tuple(conflictArb('order', orderFields, bases.order), fc.constantFrom('shipped', 'delivered'))
      .map(([c, status]) => ({ ...c, base: { ...c.base, status } }));
    fc.assert(
      fc.property(arb, (c) => {
        const r = engine.resolve(c);
        expect(r.after).toEqual(c.base);
        expect(r.losers).toHaveLength(c.contenders.length);
      }),
      { numRuns: 300 },
    );
  });

  it('a contender reaching a terminal state wins the entity: the first shipment wins, delivered beats shipped, completed payments stay completed', () => {
    fc.assert(
      fc.property(conflictArb('order', orderFields, bases.order), (c) => {
        const r = calm.resolve(c);
        const terminalBase = c.base?.status === 'shipped' || c.base?.status === 'delivered';
        const reaching = c.contenders.filter(
          (x) => x.changes?.status === 'shipped' || x.changes?.status === 'delivered',
        );
        if (terminalBase || reaching.length === 0) return;
        const strongest = reaching.some((x) => x.changes!.status === 'delivered') ? 'delivered' : 'shipped';
        const first = reaching
          .filter((x) => x.changes!.status === strongest)
          .map((x) => x.hlc as { wallMs: number; logical: number; node: string })
          .sort(
            (a, b) =>
              a.wallMs - b.wallMs ||
              a.logical - b.logical ||
              (a.node < b.node ? -1 : a.node > b.node ? 1 : 0),
          )[0]!;
        const winner = c.contenders.find((x) => x.eventId === r.winner)!;
        expect(r.after!.status).toBe(strongest);
        expect(winner.hlc).toMatchObject({ wallMs: first.wallMs, logical: first.logical, node: first.node });
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(conflictArb('payment', paymentFields, bases.payment), (c) => {
        const r = calm.resolve(c);
        if (c.contenders.some((x) => x.changes?.status === 'completed'))
          expect(r.after!.status).toBe('completed');
      }),
      { numRuns: 300 },
    );
  });

  it('payment events override other sources on payments', () => {
    const arb = conflictArb('payment', paymentFields, bases.payment, {
      sources: ['tiktok_webhook', 'payment_processor', 'automated_system'],
    }).map((c) => ({ ...c, base: {} }));
    fc.assert(
      fc.property(arb, (c) => {
        const r = calm.resolve(c);
        if (c.contenders.some((x) => x.changes?.status === 'completed')) return;
        const fromProcessor = c.contenders.filter((x) => x.source === 'payment_processor');
        if (fromProcessor.length === 0) return;
        const values = fromProcessor.map((x) => x.changes!.status);
        expect(values).toContain(r.after!.status);
      }),
      { numRuns: 300 },
    );
  });
});

describe('escalation fires exactly when a threshold is crossed', () => {
  const order = (id: string, total: number, source = 'automated_system'): ContenderInput => ({
    entityType: 'order',
    entityId: 'o1',
    source,
    sourceId: 's',
    eventId: id,
    hlc: { wallMs: DETECTED_AT - 1, logical: 0, node: 'n' },
    changes: { totalAmount: total, status: 'paid' },
  });
  const near = (t: number) =>
    fc.oneof(fc.constantFrom(t - 1, t, t + 0.01, t + 1), fc.integer({ min: 0, max: 2 * t }));

  it('order value: escalated iff the largest order value (base or contender) is strictly above the threshold', () => {
    fc.assert(
      fc.property(near(1000), near(1000), near(1000), (a, b, base) => {
        const r = engine.resolve({
          entityType: 'order',
          entityId: 'o1',
          base: { totalAmount: base },
          detectedAt: DETECTED_AT,
          contenders: [order('a', a), order('b', b, 'scheduled_sync')],
        });
        expect(r.status === 'escalated').toBe(Math.max(a, b, base) > 1000);
      }),
      { numRuns: 300 },
    );
  });

  it('payment amount: escalated iff the largest amount is strictly above the threshold', () => {
    fc.assert(
      fc.property(near(500), near(500), (a, b) => {
        const pay = (id: string, amount: number, source: string): ContenderInput => ({
          entityType: 'payment',
          entityId: 'p1',
          source,
          sourceId: 's',
          eventId: id,
          hlc: { wallMs: DETECTED_AT - 1, logical: 0, node: 'n' },
          changes: { amount, status: 'authorized' },
        });
        const r = engine.resolve({
          entityType: 'payment',
          entityId: 'p1',
          detectedAt: DETECTED_AT,
          contenders: [pay('a', a, 'payment_processor'), pay('b', b, 'automated_system')],
        });
        expect(r.status === 'escalated').toBe(Math.max(a, b) > 500);
      }),
      { numRuns: 300 },
    );
  });

  it('inventory discrepancy: escalated iff the spread of absolute counts is strictly above 10 % of stock', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 120 }),
        (stock, low, spread) => {
          const stockC = (id: string, q: number, source: string): ContenderInput => ({
            entityType: 'inventory',
            entityId: 'i1',
            source,
            sourceId: 's',
            eventId: id,
            hlc: { wallMs: DETECTED_AT - 1, logical: 0, node: 'n' },
            changes: { quantity: q },
          });
          const r = engine.resolve({
            entityType: 'inventory',
            entityId: 'i1',
            base: { quantity: stock },
            detectedAt: DETECTED_AT,
            contenders: [stockC('a', low, 'automated_system'), stockC('b', low + spread, 'scheduled_sync')],
          });
          // Integers: spread / stock > 10 %  <=>  spread * 10 > stock (exact).
          expect(r.status === 'escalated').toBe(spread * 10 > stock);
        },
      ),
      { numRuns: 500 },
    );
    // Exactly at 10 %: no escalation; one unit more: escalation.
    const at = (spread: number) =>
      engine.resolve({
        entityType: 'inventory',
        entityId: 'i1',
        base: { quantity: 100 },
        detectedAt: DETECTED_AT,
        contenders: [
          {
            entityType: 'inventory',
            entityId: 'i1',
            source: 'automated_system',
            sourceId: 's',
            eventId: 'a',
            hlc: { wallMs: 1, logical: 0, node: 'n' },
            changes: { quantity: 90 },
          },
          {
            entityType: 'inventory',
            entityId: 'i1',
            source: 'scheduled_sync',
            sourceId: 's',
            eventId: 'b',
            hlc: { wallMs: 2, logical: 0, node: 'n' },
            changes: { quantity: 90 + spread },
          },
        ],
      }).status;
    expect([at(10), at(11)]).toEqual(['resolved', 'escalated']);
  });

  it('cross-platform: escalated iff TikTok Shop and another platform set one field to different values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom('scheduled_sync', 'automated_system', 'manual_admin'),
        (t, o, other) => {
          const c = (id: string, source: string, q: number): ContenderInput => ({
            entityType: 'inventory',
            entityId: 'i1',
            source,
            sourceId: 's',
            eventId: id,
            hlc: { wallMs: DETECTED_AT - 1, logical: 0, node: 'n' },
            changes: { quantity: 100 + q },
          });
          const r = engine.resolve({
            entityType: 'inventory',
            entityId: 'i1',
            base: { quantity: 1000 },
            detectedAt: DETECTED_AT,
            contenders: [c('t', 'tiktok_webhook', t), c('o', other, o)],
          });
          expect(r.status === 'escalated').toBe(t !== o && other !== 'manual_admin');
          expect(r.kind).toBe(
            other === 'manual_admin'
              ? 'tiktok_vs_manual_changes'
              : t !== o
                ? 'cross_platform_inconsistency'
                : 'inventory_concurrent_update',
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('escalation is order-independent and lists every contender value as a marker', () => {
    fc.assert(
      fc.property(conflictArb('order', orderFields, bases.order), (c) => {
        const r = engine.resolve(c);
        const reversed = engine.resolve({ ...c, contenders: [...c.contenders].reverse() });
        expect(reversed.escalation).toEqual(r.escalation);
        if (r.status === 'escalated') {
          const marked = new Set(Object.values(r.markers).flatMap((ms) => ms.map((m) => m.eventId)));
          expect(marked).toEqual(new Set(c.contenders.map((x) => x.eventId)));
        }
      }),
      { numRuns: 300 },
    );
  });
});
