/**
 * The server's rows of a realtime channel, read the way a host's snapshot
 * reads them (the channel's filter as SQL, the tenant, the read model's
 * table) and passed through JSON as the wire would: what a client's copy
 * must equal.
 */
import type { Row } from '../../src/core/row-change.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { COMMERCE_CHANNELS } from '../../src/commerce/channels.js';
import { parseFilter } from '../../src/realtime/filter.js';
import { readProcessorCheckpoint } from '../../src/processing/checkpoint-reader.js';
import { createSqlSnapshot } from '../../src/realtime/sql-snapshot.js';
import { COMMERCE_READ_MODELS } from './checker/check-read-models.js';
import type { ServerRows } from './realtime-observers.js';

/**
 * @example
 * ```ts
 * const rows = await serverRows(sql, 'chaos', ['creator-demo'])('order_metrics', undefined);
 * ```
 */
export function serverRows(sql: SqlClient, schema: string, creatorIds: readonly string[]): ServerRows {
  const snapshot = createSqlSnapshot(sql, {
    schema,
    checkpoint: readProcessorCheckpoint(schema, () => COMMERCE_READ_MODELS),
  });
  return async (channelName, filter) => {
    const channel = COMMERCE_CHANNELS.find((c) => c.name === channelName);
    if (!channel) throw new Error(`unknown channel ${channelName}`);
    const { rows } = await snapshot(channel, parseFilter(channel, filter), creatorIds);
    return JSON.parse(JSON.stringify(rows)) as Row[];
  };
}
