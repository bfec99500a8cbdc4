// Types of conflict-rows.js (a browser module without a build step) for the TypeScript tests.

/** The columns of a `conflict_queue` row the listing reads. */
export interface ListedConflict {
  conflict_id: string;
  status: 'pending' | 'resolved' | 'manually_resolved';
  detected_at: string | Date;
  resolved_at: string | Date | null;
}

/** How many of the latest resolutions of each kind the panel lists. */
export declare const RECENT_RESOLUTIONS: number;

/**
 * The rows the conflicts panel lists, in order.
 *
 * @example
 * ```ts
 * listedConflicts(rows).map((r) => r.conflict_id);
 * ```
 */
export declare function listedConflicts<R extends ListedConflict>(rows: readonly R[]): R[];
