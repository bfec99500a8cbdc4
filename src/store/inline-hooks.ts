/**
 * Which inline hooks see an append batch: those that read one of its event
 * types (`InlineHook.eventTypes`), or every hook that names none.
 */
import type { InlineHook } from './types.js';

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
