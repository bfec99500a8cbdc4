/**
 * Fair share: which live member runs which partition. Every host computes the
 * same answer from the same member set, so no coordinator is needed; leases
 * settle the moments when two hosts' views differ.
 */
import { fnv1a32 } from './partition-key.js';

/**
 * Split partitions 0 … `partitions` − 1 between `members`: each member gets
 * floor(N / M) or ceil(N / M) of them, the answer does not depend on the order
 * of `members`, and few partitions move when a member joins or leaves
 * (rendezvous hashing with bounded load: a partition goes to the member that
 * ranks it highest among those with room).
 *
 * @example
 * ```ts
 * assignPartitions(4, ['host-b', 'host-a']) // Map { 'host-a' => [0, 1], 'host-b' => [2, 3] }
 * ```
 */
export function assignPartitions(partitions: number, members: readonly string[]): Map<string, number[]> {
  const ids = [...new Set(members)].sort();
  const assigned = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return assigned;
  const base = Math.floor(partitions / ids.length);
  let extras = partitions % ids.length; // members that may take base + 1
  for (let p = 0; p < partitions; p++) {
    const ranked = ids
      .map((id) => ({ id, score: score(id, p) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    for (const { id } of ranked) {
      const mine = assigned.get(id)!;
      if (mine.length < base || (mine.length === base && extras > 0)) {
        if (mine.length === base) extras--;
        mine.push(p);
        break;
      }
    }
  }
  return assigned;
}

/** How much `member` wants partition `p`: FNV-1a with a murmur3 finalizer, so close names spread. */
function score(member: string, p: number): number {
  let h = fnv1a32(`${member}\u0000${p}`);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
