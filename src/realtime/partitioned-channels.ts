/**
 * Why a realtime channel cannot sit on a partitioned projection (yet): the hub
 * resumes a client by cursor — each batch carries the checkpoint of the last
 * event folded in, a reconnect replays what came after it, and a snapshot
 * pairs its rows with the one checkpoint of the projection's processor. The
 * partitions of a partitioned projection move through the log independently,
 * so their row changes do not arrive in cursor order and there is no single
 * checkpoint: a client could resume past a change that a slower partition had
 * not applied yet, and never see it. Refused at configuration, not degraded.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { ChannelDefinition } from './channels.js';

/**
 * Throw an `InvalidArgumentError` (`INVALID_ARGUMENT`) when a channel reads a
 * table written by a partitioned projection. `partitioned` maps such tables to
 * the projection (or read model) writing them.
 *
 * @example
 * ```ts
 * refusePartitionedChannels(channels, new Map([['order_totals', 'order_totals']])); // throws for an order_totals channel
 * ```
 */
export function refusePartitionedChannels(
  channels: readonly ChannelDefinition[],
  partitioned: ReadonlyMap<string, string>,
): void {
  for (const channel of channels) {
    const table = channel.table ?? channel.name;
    const owner = partitioned.get(table);
    if (owner === undefined) continue;
    throw new InvalidArgumentError(
      `realtime channel "${channel.name}" reads table "${table}" of the partitioned projection "${owner}": ` +
        'the hub cannot follow a partitioned projection in cursor order; ' +
        'leave the table out of the channels or run the projection unpartitioned',
    );
  }
}
