/**
 * The providers' ledger against the sagas. Each side effect happened once
 * per idempotency key, one order was charged (labelled) under one key only,
 * every completed saga's charge and label happened, and a compensated saga's
 * effects were undone (a step that failed after its provider acted is never
 * compensated, so its effect would stay). A refund is keyed per order
 * (`order-refund:<creator>:<order>:<payment>`, shared by the fulfillment
 * saga's compensation and the cancellation saga, so a buyer is refunded once):
 * it belongs to the order's fulfillment or cancellation saga, and undoes the
 * charge of a compensated fulfillment or of a completed one that was cancelled.
 */
import type { LedgerEntry } from '../providers.js';
import { groupBy } from './group-by.js';
import { verdict, type InvariantResult } from './invariant.js';
import type { SagaRow } from './log-data.js';

/** The fulfillment saga's effects: the step's key, and the key of the compensation that undoes it. */
const EFFECTS = [
  { operation: 'charge', step: 'process_payment', undo: 'refund', undoStep: 'refund_payment' },
  {
    operation: 'create_label',
    step: 'generate_shipping_label',
    undo: 'cancel_label',
    undoStep: 'cancel_shipping',
  },
] as const;

/**
 * @example
 * ```ts
 * checkProviders(ledger.entries, data.sagas).ok
 * ```
 */
export function checkProviders(entries: readonly LedgerEntry[], sagas: readonly SagaRow[]): InvariantResult {
  const violations: unknown[] = [];
  const acted = new Map(entries.filter((e) => e.acted > 0).map((e) => [`${e.operation}|${e.key}`, e]));
  for (const e of entries) {
    if (e.acted > 1) violations.push({ problem: 'acted_twice', ...e });
  }
  for (const [group, list] of groupBy([...acted.values()], (e) => `${e.operation}|${e.orderId}`)) {
    const undone = new Set(list.map((e) => e.key));
    if (undone.size > 1)
      violations.push({ problem: 'order_effect_under_two_keys', group, keys: [...undone] });
  }
  const sagaIds = new Set(sagas.map((s) => s.sagaId));
  const refundedOrders = new Set<string>();
  for (const e of acted.values()) {
    const order = orderRefundOf(e.key);
    if (order) {
      refundedOrders.add(order);
      const ofOrder = [`order-fulfillment:${order}`, `order-cancellation:${order}`];
      if (!ofOrder.some((id) => sagaIds.has(id))) violations.push({ problem: 'effect_without_saga', ...e });
      continue;
    }
    const sagaId = e.key.slice(0, e.key.lastIndexOf(':'));
    if (!sagaIds.has(sagaId)) violations.push({ problem: 'effect_without_saga', ...e });
  }
  for (const saga of sagas) {
    const order = saga.sagaId.startsWith('order-fulfillment:')
      ? saga.sagaId.slice('order-fulfillment:'.length)
      : undefined;
    if (order === undefined) continue; // EFFECTS are the fulfillment saga's
    const cancelled = sagaIds.has(`order-cancellation:${order}`);
    for (const effect of EFFECTS) {
      const done = acted.has(`${effect.operation}|${saga.sagaId}:${effect.step}`);
      const refunded = effect.undo === 'refund' && refundedOrders.has(order);
      const undone = acted.has(`${effect.undo}|${saga.sagaId}:${effect.undoStep}`) || refunded;
      // A completed order the buyer cancelled afterwards is refunded by the cancellation saga.
      if (saga.status === 'completed' && (!done || (undone && !(refunded && cancelled)))) {
        violations.push({
          problem: done ? 'completed_but_undone' : 'completed_without_effect',
          sagaId: saga.sagaId,
          operation: effect.operation,
        });
      }
      if (saga.status === 'compensated' && done && !undone) {
        // The saga's error names the step that failed: a failed step is never compensated.
        violations.push({
          problem: 'compensated_but_effect_stays',
          sagaId: saga.sagaId,
          operation: effect.operation,
          sagaError: saga.error,
        });
      }
    }
  }
  return verdict(entries.length, violations);
}

/** `<creator>:<order>` of a per-order refund key, or undefined for a step's key. */
function orderRefundOf(key: string): string | undefined {
  if (!key.startsWith('order-refund:')) return undefined;
  const rest = key.slice('order-refund:'.length);
  return rest.slice(0, rest.lastIndexOf(':'));
}
