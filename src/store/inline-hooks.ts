/**
 * Which inline hooks see an append batch: those that read one of its event
 * types (`InlineHook.eventTypes`), or every hook that names none; and the
 * batch's events as `lockBeforeWrite` sees them, before they are written.
 */
import { storedEventOf, type EventPlacement, type PreparedAppend } from './prepare-append.js';
import type { InlineHook, StoredEvent } from './types.js';

/** What the write would assign, before it: zero (checkpoint `0:0`). */
const NOT_WRITTEN: EventPlacement = {
  version: 0,
  globalPosition: 0,
  transactionId: 0,
  processedAt: new Date(0),
};

/**
 * The hooks that read an event of the batch.
 *
 * @example
 * ```ts
 * if (hooksFor(hooks, batch).length === 0) await writeInOneStatement(batch);
 * ```
 */
export function hooksFor(
  hooks: Iterable<InlineHook>,
  batch: readonly { readonly events: readonly { readonly type: string }[] }[],
): InlineHook[] {
  const chosen: InlineHook[] = [];
  for (const hook of hooks) {
    const types = hook.eventTypes;
    if (!types || batch.some((req) => req.events.some((e) => types.has(e.type)))) chosen.push(hook);
  }
  return chosen;
}

/**
 * The events of a batch about to be written, for `InlineHook.lockBeforeWrite`:
 * parsed from the JSON the write sends, so a hook computes from them what it
 * will compute from the stored events. Only the types `hooks` read are parsed;
 * what the write assigns (version, position, checkpoint, processing time) is
 * zero.
 *
 * @example
 * ```ts
 * for (const hook of hooks) await hook.lockBeforeWrite?.({ tx, events: pendingEvents(hooks, batch) });
 * ```
 */
export function pendingEvents(hooks: readonly InlineHook[], batch: readonly PreparedAppend[]): StoredEvent[] {
  const all = hooks.some((h) => !h.eventTypes);
  const events: StoredEvent[] = [];
  for (const req of batch) {
    for (const e of req.events) {
      if (!all && !hooks.some((h) => h.eventTypes!.has(e.type))) continue;
      events.push(storedEventOf(req, e, NOT_WRITTEN));
    }
  }
  return events;
}
