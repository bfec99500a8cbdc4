/**
 * `appendMany`'s shape on every engine: each request is checked on its own (one
 * that fails its checks fails alone), the checked ones are written together by
 * the engine's `write`, and the outcomes come back in the callers' order.
 */
import type { FlushOutcome } from '../runtime/group-commit.js';
import type { PreparedAppend } from './prepare-append.js';
import type { AppendRequest, AppendResult } from './types.js';

export async function appendManyWith(
  requests: readonly AppendRequest[],
  prepare: (request: AppendRequest) => PreparedAppend,
  write: (prepared: readonly PreparedAppend[]) => Promise<FlushOutcome<AppendResult>[]>,
): Promise<PromiseSettledResult<AppendResult>[]> {
  const checked = requests.map((r): FlushOutcome<PreparedAppend> => {
    try {
      return { ok: true, value: prepare(r) };
    } catch (error) {
      return { ok: false, error };
    }
  });
  const prepared = checked.flatMap((c) => (c.ok ? [c.value] : []));
  const outcomes = prepared.length === 0 ? [] : await write(prepared);
  let next = 0;
  return checked.map((c): PromiseSettledResult<AppendResult> => {
    const outcome = c.ok ? outcomes[next++]! : c;
    return outcome.ok
      ? { status: 'fulfilled', value: outcome.value }
      : { status: 'rejected', reason: outcome.error };
  });
}
