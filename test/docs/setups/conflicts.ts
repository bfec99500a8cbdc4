/**
 * A conflict `resolver` on the `store` of the setup before it, with one
 * order conflict pending for an admin (order statuses are decided by hand
 * here), as docs/conflicts.md's queue examples expect.
 */
import type { EventStore } from '@creatorflow/sync';
import { ConflictResolver } from '@creatorflow/sync/conflicts';
import { commerceConflictConfig } from '@creatorflow/sync/commerce';
import type { DocSetup } from './types.js';

const setup: DocSetup = async (host) => {
  const resolver = new ConflictResolver({
    store: host.store as EventStore,
    config: commerceConflictConfig({ entities: { order: { fieldStrategies: { status: 'manual' } } } }),
  });
  await resolver.migrate();
  const hlc = (wallMs: number, node: string) => ({ wallMs, logical: 0, node });
  const now = Date.now();
  const contender = (source: string, eventId: string, status: string, ms: number) => ({
    entityType: 'order',
    entityId: 'o-1',
    source,
    sourceId: source,
    eventId,
    hlc: hlc(now + ms, source),
    changes: { status, creatorId: 'creator-1' },
  });
  await resolver.process([
    contender('tiktok_webhook', 'e-1', 'processing', 0),
    contender('manual_admin', 'e-2', 'on_hold', 1),
  ]);
  const pending = await resolver.listPending({ entityType: 'order' });
  if (pending.length !== 1) throw new Error(`expected one pending order conflict, found ${pending.length}`);
  return { globals: { resolver } };
};
export default setup;
