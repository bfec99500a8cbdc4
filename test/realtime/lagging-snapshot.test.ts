/**
 * Snapshots from a source that lags (a read replica): the snapshot carries an
 * older checkpoint than the batches this process already received, so the
 * subscriber catches up from the replay buffer — or, when the buffer no
 * longer reaches back that far, takes another snapshot and finally fails
 * with a typed error instead of silently missing rows.
 */
import { describe, expect, it } from 'vitest';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import type { Snapshot, SnapshotPort } from '../../src/realtime/types.js';
import type { Envelope } from '../../src/core/envelope.js';
import { foldChanges } from '../../src/realtime/fold.js';
import { parseFilter } from '../../src/realtime/filter.js';
import type { RowChange } from '../../src/core/row-change.js';
import { LiveTable } from '../../src/client/live-table.js';
import { CHANNELS, inventory } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A primary read model, a replica snapshot taken at some moment, and a hub fed the primary's batches. */
function replicaSetup(replay?: { maxBatches: number }) {
  const model = new MemoryReadModel(CHANNELS);
  let window: RowChange[] = [];
  model.changes.subscribe((c) => window.push(c));
  let replica: Snapshot | null = null;
  let snapshots = 0;
  const snapshot: SnapshotPort = async () => {
    snapshots++;
    if (!replica) throw new Error('no replica snapshot taken');
    return replica;
  };
  const hub = createRealtimeHub({
    channels: CHANNELS,
    heartbeatMs: 0,
    snapshot,
    ...(replay ? { replay } : {}),
  });
  return {
    model,
    hub,
    snapshots: () => snapshots,
    /** The replica is frozen at the primary's current state. */
    async freezeReplica() {
      replica = await model.snapshot(inventory, parseFilter(inventory, undefined), ['c1']);
    },
    flush() {
      const batch = foldChanges(inventory, window);
      window = [];
      if (batch) hub.ingest(batch);
    },
  };
}

describe('a snapshot older than the batches already received', () => {
  it('is caught up from the replay buffer', async () => {
    const r = replicaSetup();
    r.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 1 });
    r.flush();
    await r.freezeReplica(); // the replica stops here
    r.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 2 });
    r.flush();
    r.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 5 });
    r.flush();

    const table = new LiveTable();
    const seen: Envelope[] = [];
    const sub = r.hub.messages({ channel: 'inventory_alerts' }, alice).subscribe((e) => {
      seen.push(e);
      table.apply(e);
    });
    await until(() => seen.some((e) => e.type === 'ready'), 'ready');
    expect(table.get({ creator_id: 'c1', sku: 'A' })?.stock).toBe(2);
    expect(table.get({ creator_id: 'c1', sku: 'B' })?.stock).toBe(5);
    expect(r.snapshots()).toBe(1);
    sub.unsubscribe();
    await r.hub.close();
  });

  it('older than the buffer reaches: fails with SNAPSHOT_FAILED after a few tries, never misses rows silently', async () => {
    const r = replicaSetup({ maxBatches: 1 });
    r.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 1 });
    r.flush();
    await r.freezeReplica();
    for (let i = 2; i < 5; i++) {
      r.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: i });
      r.flush();
    }
    const outcome: { error?: { code?: string }; ready?: boolean } = {};
    const sub = r.hub.messages({ channel: 'inventory_alerts' }, alice).subscribe({
      next: (e) => {
        if (e.type === 'ready') outcome.ready = true;
      },
      error: (err: { code?: string }) => (outcome.error = err),
    });
    await until(() => outcome.error !== undefined, 'the typed error');
    expect(outcome.ready).toBeUndefined();
    expect(outcome.error?.code).toBe('SNAPSHOT_FAILED');
    expect(r.snapshots()).toBe(4);
    sub.unsubscribe();
    await r.hub.close();
  });
});
