/**
 * Detection: changes to the same entity whose clock times lie within the
 * entity type's window of each other (chained) form one conflict. Untrusted
 * clock times count as the detection time, so a far-future clock cannot
 * stretch a window.
 */
import type { ConflictConfig } from '../config.js';
import { windowFor } from '../config.js';
import { contentKey, validateContender } from './contender.js';
import { MalformedConflictInputError } from '../errors.js';
import { compareContenders } from './total-order.js';
import type { ContenderInput, Contender } from '../types.js';

/** A group of changes to one entity that conflict. */
export interface DetectedConflict {
  entityType: string;
  entityId: string;
  /** The changes, in the total order (strongest first). */
  contenders: ContenderInput[];
  /** The window used, in ms. */
  windowMs: number;
}

/** Result of {@link detectConflicts}. */
export interface Detection {
  conflicts: DetectedConflict[];
  /** Changes that conflict with nothing (apply them as they are). */
  unconflicted: ContenderInput[];
}

/**
 * Group changes into conflicts. Validates every change first (typed errors).
 * Same result for any order of `changes`.
 *
 * @example
 * ```ts
 * const { conflicts, unconflicted } = detectConflicts(changes, config, { detectedAt: Date.now() });
 * ```
 */
export function detectConflicts(
  changes: readonly ContenderInput[],
  config: ConflictConfig,
  options: { detectedAt: number },
): Detection {
  const byEntity = new Map<string, { contender: Contender; input: ContenderInput }[]>();
  const seen = new Map<string, string>();
  changes.forEach((input, index) => {
    const contender = validateContender(input, index, config, options.detectedAt);
    const key = contentKey(contender);
    const previous = seen.get(contender.eventId);
    if (previous !== undefined) {
      if (previous !== key) {
        throw new MalformedConflictInputError('Invalid changes', [
          {
            path: `${index}.eventId`,
            message: `event ${contender.eventId} appears twice with different content`,
          },
        ]);
      }
      return;
    }
    seen.set(contender.eventId, key);
    const entityKey = `${contender.entityType}\u0000${contender.entityId}`;
    const list = byEntity.get(entityKey) ?? [];
    list.push({ contender, input });
    byEntity.set(entityKey, list);
  });

  const conflicts: DetectedConflict[] = [];
  const unconflicted: { contender: Contender; input: ContenderInput }[] = [];
  for (const key of [...byEntity.keys()].sort()) {
    const items = byEntity.get(key)!;
    const first = items[0]!.contender;
    const windowMs = windowFor(config, first.entityType);
    const time = (c: Contender) => (c.trusted ? c.hlc.wallMs : options.detectedAt);
    items.sort(
      (a, b) => time(a.contender) - time(b.contender) || compareContenders(a.contender, b.contender),
    );
    let cluster: typeof items = [];
    const flush = () => {
      if (cluster.length >= 2) {
        const ranked = [...cluster].sort((a, b) => compareContenders(a.contender, b.contender));
        conflicts.push({
          entityType: first.entityType,
          entityId: first.entityId,
          contenders: ranked.map((i) => i.input),
          windowMs,
        });
      } else {
        unconflicted.push(...cluster);
      }
      cluster = [];
    };
    for (const item of items) {
      const last = cluster[cluster.length - 1];
      if (last && time(item.contender) - time(last.contender) > windowMs) flush();
      cluster.push(item);
    }
    flush();
  }
  unconflicted.sort((a, b) => compareContenders(a.contender, b.contender));
  return { conflicts, unconflicted: unconflicted.map((u) => u.input) };
}
