import type { LibraryMetrics } from '../metrics/library-metrics.js';

/** The subset of a `ConflictResolver` listened to. */
export interface ConflictEventSource {
  on(event: 'conflict:resolved' | 'conflict:escalated', fn: () => void): unknown;
  off(event: 'conflict:resolved' | 'conflict:escalated', fn: () => void): unknown;
}

/**
 * Count conflicts by outcome (the inventory sync's conflict frequency).
 *
 * @example
 * ```ts
 * const stop = instrumentConflictResolver(resolver, instruments);
 * ```
 */
export function instrumentConflictResolver(resolver: ConflictEventSource, m: LibraryMetrics): () => void {
  const resolved = () => m.conflicts.inc({ outcome: 'resolved' });
  const escalated = () => m.conflicts.inc({ outcome: 'escalated' });
  resolver.on('conflict:resolved', resolved);
  resolver.on('conflict:escalated', escalated);
  return () => {
    resolver.off('conflict:resolved', resolved);
    resolver.off('conflict:escalated', escalated);
  };
}
