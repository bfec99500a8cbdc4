/**
 * Applying an admin's decision to an escalated conflict (pure). The decision
 * sets absolute values; contenders whose changes the admin kept are the
 * winner and merged, the others lose.
 */
import { z } from 'zod';
import { unstorableInJson } from '../../core/storable-text.js';
import { MalformedConflictInputError } from '../errors.js';
import type { JsonObject } from '../json.js';
import { jsonEquals } from '../json.js';
import { assignRoles, sumDeltas, touchedFields } from './resolve.js';
import type { Contender, FieldRule, ManualDecision, Resolution } from '../types.js';

/**
 * zod schema of a {@link ManualDecision}.
 *
 * @example
 * ```ts
 * manualDecisionSchema.parse({ values: { quantity: 7 }, adminId: 'admin-1' });
 * ```
 */
export const manualDecisionSchema = z
  .object({
    values: z.record(z.string().min(1), z.json()),
    adminId: z.string().min(1),
    note: z.string().max(2000).optional(),
    actor: z
      .object({ kind: z.string().min(1), id: z.string().min(1), requestedBy: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict()
  // An actor naming someone else than the deciding admin is not who decided.
  .refine((d) => d.actor === undefined || d.actor.id === d.adminId, {
    path: ['actor', 'id'],
    message: 'must be the adminId',
  })
  // Written as jsonb: refused here, typed, rather than by the database at the append.
  .superRefine((d, ctx) => {
    const unstorable = unstorableInJson(JSON.stringify(d));
    if (unstorable !== undefined)
      ctx.addIssue({ code: 'custom', message: `contains ${unstorable}, which PostgreSQL cannot store` });
  });

/**
 * The resolution an admin's decision produces for an escalated conflict.
 * Throws `MalformedConflictInputError` for a malformed decision or a field no
 * contender touched.
 *
 * @example
 * ```ts
 * const decided = applyManualDecision(escalated, { values: { quantity: 7 }, adminId: 'admin-3' });
 * decided.after // { ...before, quantity: 7 }
 * ```
 */
export function applyManualDecision(escalated: Resolution, decision: ManualDecision): Resolution {
  const parsed = manualDecisionSchema.safeParse(decision);
  if (!parsed.success) {
    throw new MalformedConflictInputError(
      'Invalid manual decision',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const values = parsed.data.values as JsonObject;
  const touched = new Set(touchedFields(escalated.contenders));
  const unknown = Object.keys(values).filter((f) => !touched.has(f));
  if (unknown.length > 0) {
    throw new MalformedConflictInputError(
      'Invalid manual decision',
      unknown.map((f) => ({ path: `values.${f}`, message: 'no contender changed this field' })),
    );
  }
  const contributors = new Set(
    escalated.contenders.filter((c) => agrees(c, values, escalated)).map((c) => c.eventId),
  );
  const fields: Record<string, FieldRule> = {};
  for (const field of Object.keys(values).sort()) {
    fields[field] = {
      strategy: 'manual',
      rule: 'manual_decision',
      contributors: escalated.contenders
        .filter(
          (c) =>
            contributors.has(c.eventId) &&
            (Object.hasOwn(c.changes, field) || Object.hasOwn(c.deltas, field)),
        )
        .map((c) => c.eventId),
    };
  }
  return {
    ...escalated,
    status: 'resolved',
    rule: 'manual_decision',
    fields,
    ...assignRoles(escalated.contenders, contributors),
    pending: [],
    set: { ...values },
    adjust: {},
    after: { ...escalated.before, ...values },
  };
}

// A contender agrees when every field it touched ended as it said: its absolute
// value was kept, or its delta was applied (to the base or to a kept absolute).
function agrees(c: Contender, values: JsonObject, r: Resolution): boolean {
  for (const [field, value] of Object.entries(c.changes)) {
    if (!Object.hasOwn(values, field) || !jsonEquals(values[field]!, value)) return false;
  }
  for (const field of Object.keys(c.deltas)) {
    const chosen = values[field];
    if (typeof chosen !== 'number') return false;
    const adjusters = r.contenders.filter((o) => Object.hasOwn(o.deltas, field));
    const starts = [r.before[field], ...r.contenders.map((o) => o.changes[field])].filter(
      (v): v is number => typeof v === 'number',
    );
    const sum = sumDeltas(adjusters, field);
    if (!starts.some((s) => s + sum === chosen)) return false;
  }
  return true;
}
