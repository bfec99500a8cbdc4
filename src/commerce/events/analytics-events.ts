/**
 * Analytics events: a run of the analytics updater, recorded so the analytics
 * read models are folded from the log as of the run's instant.
 */
import { z } from 'zod';
import { idSchema, instantSchema } from './common.js';

/** A UTC calendar day, `YYYY-MM-DD`. */
const daySchema = z.iso.date();

/**
 * One product's social-media mentions per day from `fromDate`, as the host's
 * mentions port reported them for the run (a rebuild cannot ask the port).
 *
 * @example
 * ```ts
 * const parsed = productMentionsSchema.safeParse({ productId: 'p1', fromDate: '2026-11-01', daily: [0, 3, 40] });
 * ```
 */
export const productMentionsSchema = z.object({
  productId: idSchema,
  fromDate: daySchema,
  daily: z.array(z.number().finite().min(0)),
});

/**
 * `analytics.run_completed`: the analytics updater ran for one creator as of
 * `asOf`, with these settings. The analytics read models fold it: every
 * product of the creator is forecast from the sales history folded so far,
 * as of `asOf`, so a rebuild from the log reproduces the run exactly.
 * `mentions` holds what the mentions port returned (absent: no port).
 *
 * @example
 * ```ts
 * const parsed = analyticsRunCompletedSchema.safeParse({
 *   creatorId: 'c1', asOf: '2026-11-10T08:00:00.000Z', leadTimeDays: 7, serviceLevel: 0.95, historyDays: 730,
 * });
 * ```
 */
export const analyticsRunCompletedSchema = z.object({
  creatorId: idSchema,
  asOf: instantSchema,
  /** Supplier lead time of the reorder plans, days. */
  leadTimeDays: z.int().min(0).max(365),
  /** Target chance of not stocking out, strictly between 0 and 1. */
  serviceLevel: z.number().gt(0).lt(1),
  /** Days of history each forecast reads. */
  historyDays: z.int().min(28).max(3_650),
  mentions: z.array(productMentionsSchema).optional(),
});
