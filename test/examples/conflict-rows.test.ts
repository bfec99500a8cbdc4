/**
 * The conflicts panel's listing (examples/dashboard/conflict-rows.js): an
 * admin's decision stays listed while automatic resolutions keep coming. On a
 * busy shop the simulator settles a few stock conflicts a second; when the
 * decisions shared the five "latest resolutions" with them, a decided order
 * left the panel within a second of its delta, and the e2e dashboard test,
 * polling the page on a loaded machine, could miss it altogether.
 */
import { describe, expect, it } from 'vitest';
import {
  listedConflicts,
  RECENT_RESOLUTIONS,
  type ListedConflict,
} from '../../examples/dashboard/conflict-rows.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 8, 0, s)).toISOString();

function row(
  id: string,
  status: ListedConflict['status'],
  detected: number,
  resolved?: number,
): ListedConflict {
  return {
    conflict_id: id,
    status,
    detected_at: at(detected),
    resolved_at: resolved === undefined ? null : at(resolved),
  };
}

describe('listedConflicts', () => {
  it('keeps an admin decision listed after more automatic resolutions than the panel lists', () => {
    const rows = [
      row('order-decided', 'manually_resolved', 0, 10),
      // Stock conflicts settled automatically after the decision, more than the panel lists.
      ...Array.from({ length: RECENT_RESOLUTIONS + 3 }, (_, i) =>
        row(`stock-${i}`, 'resolved', 5 + i, 11 + i),
      ),
      row('waiting', 'pending', 3),
    ];
    const listed = listedConflicts(rows).map((r) => r.conflict_id);
    expect(listed).toContain('order-decided');
    expect(listed[0]).toBe('waiting');
  });

  it('lists every pending conflict, oldest first, and the latest resolutions of each kind, newest first', () => {
    const rows = [
      row('p2', 'pending', 9),
      row('p1', 'pending', 2),
      ...Array.from({ length: 8 }, (_, i) => row(`auto-${i}`, 'resolved', i, 20 + i)),
      ...Array.from({ length: 7 }, (_, i) => row(`manual-${i}`, 'manually_resolved', i, 40 + i)),
    ];
    const listed = listedConflicts(rows);
    expect(listed.slice(0, 2).map((r) => r.conflict_id)).toEqual(['p1', 'p2']);
    const resolved = listed.slice(2);
    expect(resolved.filter((r) => r.status === 'resolved').map((r) => r.conflict_id)).toEqual([
      'auto-7',
      'auto-6',
      'auto-5',
      'auto-4',
      'auto-3',
    ]);
    expect(resolved.filter((r) => r.status === 'manually_resolved').map((r) => r.conflict_id)).toEqual([
      'manual-6',
      'manual-5',
      'manual-4',
      'manual-3',
      'manual-2',
    ]);
    const times = resolved.map((r) => Date.parse(String(r.resolved_at)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // The rows themselves, not copies: the panel renders them as they are.
    expect(listed[0]).toBe(rows[1]);
  });
});
