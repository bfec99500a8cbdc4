// Which conflicts the conflicts panel lists, and in what order (plain ES
// module without imports, so Node tests it as the browser runs it).

const ms = (v) => (v === null || v === undefined ? null : new Date(v).getTime());

/** How many of the latest resolutions of each kind (automatic, an admin's) the panel lists. */
export const RECENT_RESOLUTIONS = 5;

/** The latest `RECENT_RESOLUTIONS` rows of one status, newest first. */
const latest = (rows, status) =>
  rows
    .filter((r) => r.status === status)
    .sort((a, b) => ms(b.resolved_at) - ms(a.resolved_at))
    .slice(0, RECENT_RESOLUTIONS);

/**
 * The rows the panel lists: every pending conflict (oldest first), then the
 * latest resolutions (newest first): the latest automatic ones and, apart
 * from them, the latest admin decisions. A busy shop settles several stock
 * conflicts a second; sharing one short list with them, an admin's decision
 * left the panel within a second of being shown, or before it ever was.
 *
 * @example
 * listedConflicts(rows).map((r) => r.conflict_id)
 */
export function listedConflicts(rows) {
  const waiting = rows
    .filter((r) => r.status === 'pending')
    .sort((a, b) => ms(a.detected_at) - ms(b.detected_at));
  const recent = [...latest(rows, 'resolved'), ...latest(rows, 'manually_resolved')].sort(
    (a, b) => ms(b.resolved_at) - ms(a.resolved_at),
  );
  return [...waiting, ...recent];
}
