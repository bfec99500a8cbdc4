import { describe, expect, it } from 'vitest';
import { TestClient, harness, sorted, tick } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };

/** A hub that has taken a snapshot already (so its replay buffer has a floor). */
async function warmHub(options: Parameters<typeof harness>[0] = {}) {
  const h = harness(options);
  h.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5 });
  h.flush();
  const first = new TestClient(
    h.hub,
    { userId: 'first', tenantIds: ['c1'] },
    { channel: 'inventory_alerts' },
  );
  first.connect();
  await tick();
  return { ...h, first };
}

describe('a resume cursor ahead of the log', () => {
  it('gets a reset, and every later change below that position still arrives', async () => {
    const { model, hub, flush } = await warmHub();
    const resets: string[] = [];
    hub.events.on('realtime:reset', (info) => resets.push(info.reason));
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.table.apply({
      type: 'heartbeat',
      channel: 'inventory_alerts',
      cursor: '99999:99999',
      serverTime: 0,
    });
    client.connect();
    await tick();
    expect(client.received.map((e) => e.type)).toEqual(['reset', 'ready']);
    expect(resets).toEqual(['cursor_ahead']);
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 7 });
    flush();
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(model)));
    expect(client.table.rows()).toHaveLength(2);
    expect(client.violations).toEqual([]);
  });

  it('without a position reader on the snapshot port, anything past what this hub saw is reset', async () => {
    const { model, hub } = await warmHub();
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    // One past the newest change this hub has seen.
    const [tx, pos] = model.checkpoint.split(':');
    client.table.apply({
      type: 'heartbeat',
      channel: 'inventory_alerts',
      cursor: `${tx}:${Number(pos) + 1}`,
      serverTime: 0,
    });
    client.connect();
    await tick();
    expect(client.received[0]!.type).toBe('reset');
  });

  it('resumes without a snapshot when the read model is already past the cursor (another host handed it out)', async () => {
    const { model, hub, flush } = await warmHub({ positionReader: true });
    // Written and handed out elsewhere; this hub's window has not closed on it yet.
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 4 });
    const elsewhere = model.checkpoint;
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'C', stock: 1 });
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.table.apply({
      type: 'reset',
      channel: 'inventory_alerts',
      cursor: elsewhere,
      serverTime: 0,
      rows: [{ creator_id: 'c1', sku: 'A', stock: 4 }],
      keyColumns: ['creator_id', 'sku'],
    });
    client.connect();
    await tick();
    expect(client.received.map((e) => e.type)).toEqual(['ready']);
    flush();
    expect(client.received.map((e) => e.type)).toEqual(['ready', 'data']);
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(model)));
    expect(client.violations).toEqual([]);
  });

  it('with a position reader, a cursor past the read model gets a reset', async () => {
    const { hub } = await warmHub({ positionReader: true });
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.table.apply({ type: 'heartbeat', channel: 'inventory_alerts', cursor: '1:99999', serverTime: 0 });
    client.connect();
    await tick();
    expect(client.received.map((e) => e.type)).toEqual(['reset', 'ready']);
  });
});
