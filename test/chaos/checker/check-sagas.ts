/**
 * Sagas: every fulfillment the log asked for was started, every saga ended
 * completed or compensated (none running, compensating or waiting for a
 * person), every compensation was started by a refusal (a `TerminalError`: a
 * cancelled order, a declined charge), never by a fault of our own, and no
 * step is recorded as done twice.
 */
import { verdict, type InvariantResult } from './invariant.js';
import type { ReceivedOrder, SagaRow, SagaStepCount } from './log-data.js';

/** Final statuses that need nobody. */
export const FINISHED_SAGA_STATUSES: ReadonlySet<string> = new Set(['completed', 'compensated']);

/** The commerce module's saga id of an order's fulfillment. */
export const fulfillmentSagaId = (o: ReceivedOrder): string =>
  `order-fulfillment:${o.creatorId}:${o.orderId}`;

/**
 * @example
 * ```ts
 * checkSagas(data.sagas, data.steps, data.receivedOrders).ok
 * ```
 */
export function checkSagas(
  sagas: readonly SagaRow[],
  steps: readonly SagaStepCount[],
  receivedOrders: readonly ReceivedOrder[],
): InvariantResult {
  const violations: unknown[] = [];
  const ids = new Set(sagas.map((s) => s.sagaId));
  for (const order of receivedOrders) {
    const sagaId = fulfillmentSagaId(order);
    if (!ids.has(sagaId)) violations.push({ problem: 'never_started', sagaId });
  }
  for (const saga of sagas) {
    if (!FINISHED_SAGA_STATUSES.has(saga.status)) {
      violations.push({
        problem: 'not_finished',
        sagaId: saga.sagaId,
        status: saga.status,
        error: saga.error,
      });
    }
  }
  for (const saga of sagas) {
    // The faults break our own database, hosts and Redis, never the order: an
    // order undone for one of them was cancelled for nothing.
    const error = saga.error as { name?: unknown } | null;
    if (saga.status === 'compensated' && error !== null && error.name !== 'TerminalError') {
      violations.push({ problem: 'compensated_without_refusal', sagaId: saga.sagaId, error: saga.error });
    }
  }
  for (const step of steps) {
    if (step.completed > 1) violations.push({ problem: 'step_recorded_twice', ...step });
  }
  return verdict(sagas.length, violations);
}
