/**
 * The windows resolved ahead, halfway through their grace, by entity: a
 * resolution computed then (nothing written) is committed when the window
 * falls due only if the window holds exactly the same reports and the state
 * before it is unchanged; otherwise the window is resolved afresh. So the
 * result is the one settling at the due time gives; only CPU moves off the
 * due path. A cache: losing an entry costs a resolution, never a result.
 */
import { jsonEquals, type JsonObject } from '../../conflicts/json.js';
import type { PreparedResolution } from '../../conflicts/service/conflict-resolver.js';
import { entityKey, type OpenEntity, type StagedContender } from './contender-staging.js';

/** A window resolved ahead; `conflict` null when there was nothing to prepare (a lone report). */
interface PreparedWindow {
  anchorMs: number;
  /** The window's reports by time, as resolved. */
  ids: string[];
  /** The state before the window, as read then. */
  base: JsonObject;
  conflict: PreparedResolution | null;
}

/**
 * Windows resolved ahead, by {@link entityKey}: used when the window falls due with the
 * same reports and the same base, else resolved afresh.
 *
 * @example
 * ```ts
 * prepared.claim(entity);
 * prepared.record(entity, window, base, resolver.prepare(request, options));
 * const ahead = prepared.matching(entity, window, base); // when due
 * ```
 */
export class PreparedWindows {
  readonly #windows = new Map<string, PreparedWindow>();

  /** Whether the entity's window from `anchorMs` was taken by a prepare pass (resolved or not). */
  has(entity: OpenEntity): boolean {
    return this.#windows.get(entityKey(entity))?.anchorMs === entity.anchorMs;
  }

  /** Mark the entity's window as taken by a prepare pass, nothing resolved yet. */
  claim(entity: OpenEntity): void {
    this.#windows.set(entityKey(entity), { anchorMs: entity.anchorMs, ids: [], base: {}, conflict: null });
  }

  /** Keep the resolution of the entity's window, its reports by time, over `base`. */
  record(
    entity: OpenEntity,
    window: readonly StagedContender[],
    base: JsonObject,
    conflict: PreparedResolution,
  ): void {
    this.#windows.set(entityKey(entity), {
      anchorMs: entity.anchorMs,
      ids: window.map((r) => r.eventId),
      base,
      conflict,
    });
  }

  /** The resolution of exactly this window (same anchor, same reports) over this very base, if any. */
  matching(
    entity: Omit<OpenEntity, 'anchorMs'>,
    window: readonly StagedContender[],
    base: JsonObject,
  ): PreparedResolution | undefined {
    const ahead = this.#windows.get(entityKey(entity));
    if (
      ahead?.conflict &&
      ahead.anchorMs === window[0]!.atMs &&
      ahead.ids.length === window.length &&
      ahead.ids.every((id, i) => id === window[i]!.eventId) &&
      jsonEquals(ahead.base, base)
    )
      return ahead.conflict;
    return undefined;
  }

  /** The entity's windows were settled: what was resolved ahead is spent. */
  forget(entity: Omit<OpenEntity, 'anchorMs'>): void {
    this.#windows.delete(entityKey(entity));
  }

  /** Forget every entity but those of `kept` (keys). */
  keepOnly(kept: ReadonlySet<string>): void {
    for (const key of this.#windows.keys()) if (!kept.has(key)) this.#windows.delete(key);
  }
}
