/**
 * Payloads the resolver built itself, from a resolution the engine validated,
 * need no second check by their zod schema when the store validates the
 * append (an escalation's markers, one object per contender and field, cost
 * tens of µs a conflict). Any other payload of those types — a host's, a
 * copy, a parsed one — is checked in full, with the schema's own issues.
 * `test/conflicts/own-payloads.test.ts` checks that what the builders make
 * passes the schemas, so the skipped check is one that could not fail.
 */
import { z, type ZodType } from 'zod';

const built = new WeakSet<object>();

/**
 * Mark a payload as built by the resolver (the object itself, not its content:
 * an equal copy is not marked).
 *
 * @example
 * ```ts
 * const data = ownPayload({ conflictId, entityType, entityId, reasons, markers });
 * ```
 */
export function ownPayload<T extends object>(data: T): T {
  built.add(data);
  return data;
}

/**
 * `schema` for payloads from elsewhere; a payload marked by {@link ownPayload} passes as it is.
 *
 * @example
 * ```ts
 * store.registerEventType('conflict.escalated', trustingOwnPayloads(conflictEventSchemas['conflict.escalated']));
 * ```
 */
export function trustingOwnPayloads(schema: ZodType): ZodType {
  return z.any().superRefine((data: unknown, ctx) => {
    if (typeof data === 'object' && data !== null && built.has(data)) return;
    const parsed = schema.safeParse(data);
    if (parsed.success) return;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}
