/**
 * The commerce module as one of the engine's read models: the engine starts
 * and stops it with itself, streams its row changes to the realtime hub and
 * reads its processor's checkpoint for snapshots. Starting it starts all of
 * commerce (read models, inventory handler, fulfillment saga and trigger).
 */
import type { Commerce } from '@creatorflow/sync/commerce';
import type { EngineReadModel } from '@creatorflow/sync';

/**
 * Adapt a {@link Commerce} to `createSyncEngine({ readModels })`. Its read
 * models must run `'async'`, so snapshots carry the processor's checkpoint.
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, readModels: (store) => [commerceReadModel(createCommerce({ store, readModels: 'async' }))] });
 * ```
 */
export function commerceReadModel(commerce: Commerce): EngineReadModel {
  return {
    changes: commerce.changes,
    // Changes a recovered append never published: the engine reloads their channels.
    changesLost: commerce.changesLost,
    definitions: commerce.readModels.definitions,
    processor: commerce.readModels.processor,
    start: () => commerce.start(),
    stop: () => commerce.stop(),
    whenCaughtUp: (options) => commerce.whenIdle(options?.timeoutMs),
  };
}
