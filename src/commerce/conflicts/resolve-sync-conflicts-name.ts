/**
 * The name of the processor that settles sync reports: its checkpoint, lease
 * and dead letters are kept under it, and the events it appends carry it as
 * their `source`. Stored, so it never changes.
 */

/**
 * The processor's name (checkpoint, lease, dead letters), the specification's function name.
 *
 * @example
 * ```ts
 * await engine.processorLag(RESOLVE_SYNC_CONFLICTS);
 * ```
 */
export const RESOLVE_SYNC_CONFLICTS = 'resolve-sync-conflicts';
