/**
 * Stand-ins for the board's third parties (a calendar and a notifier), which
 * cannot run here. Each keeps a ledger keyed by idempotency key, so a retried
 * call acts once, and `refuseNotifications` makes the notifier fail for good.
 */
import { TerminalError } from '@creatorflow/sync';
import type { ReviewServices } from './board.js';

/** The fake services and what they did. */
export interface FakeReviewServices extends ReviewServices {
  /** Slot id → state. */
  readonly slots: Map<string, 'booked' | 'cancelled'>;
  /** Notifications sent, by idempotency key. */
  readonly notifications: Map<string, string>;
  refuseNotifications: boolean;
}

/**
 * @example
 * ```ts
 * const services = createFakeReviewServices();
 * services.refuseNotifications = true; // the next review is compensated
 * ```
 */
export function createFakeReviewServices(): FakeReviewServices {
  const bookings = new Map<string, string>();
  const services: FakeReviewServices = {
    slots: new Map(),
    notifications: new Map(),
    refuseNotifications: false,
    async bookSlot(taskId, reviewer, idempotencyKey) {
      let slotId = bookings.get(idempotencyKey);
      if (slotId === undefined) {
        slotId = `slot-${reviewer}-${taskId}`;
        bookings.set(idempotencyKey, slotId);
        services.slots.set(slotId, 'booked');
      }
      return { slotId };
    },
    async cancelSlot(slotId) {
      if (services.slots.has(slotId)) services.slots.set(slotId, 'cancelled');
    },
    async notify(reviewer, message, idempotencyKey) {
      if (services.refuseNotifications) throw new TerminalError(`notifier refused ${reviewer}`);
      services.notifications.set(idempotencyKey, message);
    },
  };
  return services;
}
