/**
 * Group items by a key, keeping their order.
 *
 * @example
 * ```ts
 * groupBy(events, (e) => e.streamId).get('order-1') // its events, in log order
 * ```
 */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
