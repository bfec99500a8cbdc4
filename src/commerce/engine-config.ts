/**
 * What `createSyncEngine` needs from the commerce domain, as data: the
 * dashboard channels and the webhook receivers. The engine itself knows no
 * provider and no table of this domain.
 */
import type { WebhookReceiver } from '../ingest/webhook-receiver.js';
import type { ChannelDefinition } from '../realtime/channels.js';
import { COMMERCE_CHANNELS } from './channels.js';
import { commerceReceivers, type CommerceReceiversOptions } from './ingest/commerce-ingest-handler.js';

/**
 * The commerce parts of a `SyncEngineConfig`.
 *
 * @example
 * ```ts
 * const { channels, receivers }: CommerceEngineConfig = commerceEngineConfig({ tiktok: { appKey, appSecret } });
 * createSyncEngine({ sql, channels: [...channels, myChannel], receivers });
 * ```
 */
export interface CommerceEngineConfig {
  channels: readonly ChannelDefinition[];
  receivers: readonly WebhookReceiver[];
}

/**
 * The commerce channels and the enabled receivers, to spread into
 * `createSyncEngine`'s options.
 *
 * @example
 * ```ts
 * import { createSyncEngine } from '@creatorflow/sync';
 * import { commerceEngineConfig, COMMERCE_EVENT_SCHEMAS } from '@creatorflow/sync/commerce';
 *
 * const engine = createSyncEngine({
 *   sql,
 *   store: { eventTypes: COMMERCE_EVENT_SCHEMAS },
 *   ...commerceEngineConfig({ tiktok: { appKey, appSecret }, shipping: { providers } }),
 * });
 * ```
 */
export function commerceEngineConfig(options: CommerceReceiversOptions = {}): CommerceEngineConfig {
  return { channels: COMMERCE_CHANNELS, receivers: commerceReceivers(options) };
}
