/**
 * What an admin may decide for a commerce entity: the values the settled
 * event (`inventory.stock_updated`, `order.reconciled`) can carry. A value
 * outside them (a negative or fractional stock, an unknown order status)
 * would be audited as decided and then dropped on its way to the read models,
 * so the resolver refuses the decision instead and the conflict stays pending.
 */
import { z } from 'zod';
import type { ValidationIssue } from '../../core/errors.js';
import type { JsonObject } from '../../conflicts/json.js';
import { amountSchema, quantitySchema } from '../events/common.js';
import { ORDER_STATUSES } from '../read-models/commerce-orders.js';

/** The decidable fields per entity type, as the settled events validate them. */
const DECIDED_VALUES: Readonly<Record<string, z.ZodType>> = {
  inventory: z.object({ quantity: quantitySchema }).partial(),
  order: z
    .object({
      status: z.enum(ORDER_STATUSES),
      totalAmount: amountSchema,
      refundedAmount: amountSchema,
      orderTotal: amountSchema,
    })
    .partial(),
};

/**
 * Issues of an admin's decided values for a commerce entity (none for an
 * entity type without a settled event): the resolver's `validateDecision`.
 *
 * @example
 * ```ts
 * commerceDecisionIssues('inventory', { quantity: -5 }) // [{ path: 'values.quantity', message: 'Too small: …' }]
 * commerceDecisionIssues('inventory', { quantity: 21 }) // []
 * ```
 */
export function commerceDecisionIssues(entityType: string, values: JsonObject): ValidationIssue[] {
  const schema = Object.hasOwn(DECIDED_VALUES, entityType) ? DECIDED_VALUES[entityType] : undefined;
  const parsed = schema?.safeParse(values);
  if (!parsed || parsed.success) return [];
  return parsed.error.issues.map((i) => ({ path: ['values', ...i.path].join('.'), message: i.message }));
}
