/**
 * Names of a partitioned processor's partitions: `${name}#${i}/${N}` for
 * N > 1, so each has its own checkpoint, lease and dead letters, and a name
 * says which layout it belongs to. One partition is the plain processor.
 */

/**
 * The processor name of partition `index` of `partitions`.
 *
 * @example
 * ```ts
 * partitionName('projection:order_totals', 2, 4) // 'projection:order_totals#2/4'
 * ```
 */
export function partitionName(name: string, index: number, partitions: number): string {
  return partitions === 1 ? name : `${name}#${index}/${partitions}`;
}

/**
 * Every partition's processor name, in partition order.
 *
 * @example
 * ```ts
 * partitionNames('totals', 2) // ['totals#0/2', 'totals#1/2']
 * partitionNames('totals', 1) // ['totals']
 * ```
 */
export function partitionNames(name: string, partitions: number): string[] {
  return Array.from({ length: partitions }, (_, i) => partitionName(name, i, partitions));
}
