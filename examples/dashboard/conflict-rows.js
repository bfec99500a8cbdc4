// Which conflicts the conflicts panel lists, and in what order (plain ES
// module without imports, so Node tests it as the browser runs it).

const ms = (v) => (v === null || v === undefined ? null : new Date(v).getTime());

/** How many of the latest resolutions the panel lists. */
export const RECENT_RESOLUTIONS = 5;

/**
 * The rows the panel lists: every pending conflict (oldest first), then the
 * latest resolutions (newest first).
 *
 * @example
 * listedConflicts(rows).map((r) => r.conflict_id)
 */
export function listedConflicts(rows) {
  const pending = rows.filter((r) => r.status === 'pending');
  const auto = rows.filter((r) => r.status === 'resolved');
  const manual = rows.filter((r) => r.status === 'manually_resolved');
  const recent = [...auto, ...manual]
    .sort((a, b) => ms(b.resolved_at) - ms(a.resolved_at))
    .slice(0, RECENT_RESOLUTIONS);
  const waiting = [...pending].sort((a, b) => ms(a.detected_at) - ms(b.detected_at));
  return [...waiting, ...recent];
}
