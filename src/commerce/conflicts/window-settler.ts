/**
 * Settling one due window. A lone report is applied as it is (a shipped order
 * still cannot be modified), unless its own figures call for the rules
 * (`lone-report.ts`); two or more reports are a conflict, resolved and audited
 * by the conflict resolver with the resolved value in the same append — or, if
 * the window was resolved ahead with these very reports and this base, only
 * that resolution's write is left.
 */
import { policyFor } from '../../conflicts/config.js';
import type { JsonObject } from '../../conflicts/json.js';
import { conflictIdFor } from '../../conflicts/pipeline/conflict-id.js';
import type { ConflictRecord } from '../../conflicts/service/audit/audit-record.js';
import type { ConflictResolver } from '../../conflicts/service/conflict-resolver.js';
import type { EventStore } from '../../store/types.js';
import { appendOutcome } from './append-outcome.js';
import type { OpenEntity, StagedContender } from './contender-staging.js';
import { loneReportNeedsRules } from './lone-report.js';
import type { PreparedWindows } from './prepared-windows.js';
import type { SettledReportRemoval } from './settled-report-removal.js';
import { resolveOptions, resolveRequest } from './window-resolution.js';

/**
 * Settles windows one at a time, each through the `append` it is given (a pass
 * collects them into one `appendMany`).
 *
 * @example
 * ```ts
 * const settler = new WindowSettler(resolver, prepared, removal);
 * const record = await settler.settle(entity, window, base, collector.append); // undefined: a lone report
 * ```
 */
export class WindowSettler {
  readonly #resolver: ConflictResolver;
  readonly #prepared: PreparedWindows;
  readonly #removal: SettledReportRemoval;

  constructor(resolver: ConflictResolver, prepared: PreparedWindows, removal: SettledReportRemoval) {
    this.#resolver = resolver;
    this.#prepared = prepared;
    this.#removal = removal;
  }

  // One window: a lone report is applied; a conflict is resolved (and audited) and its value applied.
  async settle(
    entity: OpenEntity,
    window: readonly StagedContender[],
    base: JsonObject,
    append: EventStore['append'],
  ): Promise<ConflictRecord | undefined> {
    const ids = window.map((r) => r.eventId);
    const lone = window.length === 1 && !this.#loneNeedsRules(entity, window[0]!);
    const key = lone ? ids[0]! : conflictIdFor(entity.entityType, entity.entityId, ids);
    return this.#removal.whileWriting(key, ids, () => this.#settleWindow(entity, window, base, append, lone));
  }

  async #settleWindow(
    entity: OpenEntity,
    window: readonly StagedContender[],
    base: JsonObject,
    append: EventStore['append'],
    lone: boolean,
  ): Promise<ConflictRecord | undefined> {
    if (lone) {
      const only = window[0]!;
      // A lone report is no conflict, but a shipped order still cannot be modified.
      const terminal = policyFor(this.#resolver.engine.config, entity.entityType).terminal;
      const absorbed = terminal !== undefined && terminal.values.includes(String(base[terminal.field]));
      await appendOutcome(append, entity, absorbed ? base : { ...base, ...only.contender.changes }, base, {
        key: `sync-report:${only.eventId}`,
        causationId: only.eventId,
      });
      return undefined;
    }
    // Resolved ahead with these very reports and this base: only the write is left.
    const ahead = this.#prepared.matching(entity, window, base);
    if (ahead) return this.#resolver.commitPrepared(ahead, { append });
    return this.#resolver.resolve(resolveRequest(entity, window, base), {
      ...resolveOptions(entity, base),
      append,
    });
  }

  /** A report alone in its window whose figures still call for the rules (lone-report.ts). */
  #loneNeedsRules(entity: OpenEntity, only: StagedContender): boolean {
    const policy = policyFor(this.#resolver.engine.config, entity.entityType);
    return loneReportNeedsRules(only.contender.changes ?? {}, policy);
  }
}
