/**
 * foldSet reads the rows of consecutive tables that fold none of each other's
 * row changes together: the second table's lock and read are sent before the
 * first's read has answered (one round trip where the transaction pipelines),
 * in table order; a table folding an earlier one's row changes still waits
 * for it. The result is the one of folding table after table.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/row-change.js';
import { defineProjection, rowChangeOf, rowEventType } from '../../src/processing/index.js';
import { foldSet } from '../../src/processing/projection-set/fold-set.js';
import { MemoryTables } from '../../src/processing/projection-set/memory-set-tables.js';
import type { TableBackend } from '../../src/processing/projection/table-backend.js';
import type { StoredEvent } from '../../src/store/types.js';

const count = (name: string) =>
  defineProjection<{ shop_id: string; n: number }>({
    name,
    key: ['shop_id'],
    migrations: ['CREATE TABLE :TABLE: (shop_id text PRIMARY KEY)'], // never run: memory tables
    handlers: {
      'sale.placed': {
        key: (e) => ({ shop_id: String((e.data as { shopId: string }).shopId) }),
        apply: (row) => ({ n: (row?.n ?? 0) + 1 }),
      },
    },
  });
const first = count('fs_first');
const second = count('fs_second'); // folds no row change of fs_first
const third = defineProjection<{ shop_id: string; seen: number }>({
  name: 'fs_third',
  key: ['shop_id'],
  migrations: ['CREATE TABLE :TABLE: (shop_id text PRIMARY KEY)'], // never run: memory tables
  handlers: {
    [rowEventType('fs_first')]: {
      key: (e) => ({ shop_id: String(rowChangeOf(e).key['shop_id']) }),
      apply: (row) => ({ seen: (row?.seen ?? 0) + 1 }),
    },
  },
});
const definitions = [first, second, third];

const sale = (position: number, shopId: string): StoredEvent =>
  ({
    id: `e${position}`,
    streamId: `shop-${shopId}`,
    type: 'sale.placed',
    data: { shopId },
    metadata: {},
    version: position,
    globalPosition: position,
    checkpoint: `1:${position}`,
    transactionId: '1',
    occurredAt: new Date(0),
    processedAt: new Date(0),
  }) as unknown as StoredEvent;

/** The tables of a batch, each read held until released; the calls in order. */
function gatedTables() {
  const tables = new MemoryTables(definitions);
  const batch = tables.batch();
  const calls: string[] = [];
  const gates = new Map<string, () => void>();
  const tableOf = (name: string): TableBackend => {
    const inner = batch.table(name);
    return {
      load: async (keys: readonly Row[]) => {
        calls.push(`load ${name}`);
        await new Promise<void>((resolve) => gates.set(name, resolve));
        calls.push(`loaded ${name}`);
        return inner.load(keys);
      },
      write: (writes) => inner.write(writes),
      all: () => inner.all(),
    };
  };
  const lockRowsOf = (name: string) => async () => void calls.push(`lock ${name}`);
  return { tableOf, lockRowsOf, calls, gates, batch };
}

/** Release the gates one by one as reads arrive, until the fold ends. */
async function drive(fold: Promise<unknown>, gates: Map<string, () => void>): Promise<void> {
  let done = false;
  void fold.finally(() => (done = true));
  for (let i = 0; i < 10_000 && !done; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    const [name, open] = [...gates][0] ?? [];
    if (name && open) {
      gates.delete(name);
      open();
    }
  }
  await fold;
}

describe('foldSet', () => {
  it('sends the reads of independent consecutive tables together, in table order', async () => {
    const { tableOf, lockRowsOf, calls, gates } = gatedTables();
    const events = [sale(1, 's1'), sale(2, 's2'), sale(3, 's1')];
    const fold = foldSet(definitions, events, new Map(), tableOf, lockRowsOf);
    await drive(fold, gates);
    // fs_second's lock and read go out before fs_first's read answers; fs_third waits for fs_first.
    expect(calls).toEqual([
      'lock fs_first',
      'lock fs_second',
      'load fs_first',
      'load fs_second',
      'loaded fs_first',
      'loaded fs_second',
      'lock fs_third',
      'load fs_third',
      'loaded fs_third',
    ]);
  });

  it('gives the changes of folding table after table', async () => {
    const { tableOf, lockRowsOf, gates, batch } = gatedTables();
    const events = [sale(1, 's1'), sale(2, 's2'), sale(3, 's1')];
    const changes = foldSet(definitions, events, new Map(), tableOf, lockRowsOf);
    await drive(changes, gates);
    const rows = async (t: string) => batch.table(t).all();
    expect(await rows('fs_first')).toEqual([
      { shop_id: 's1', n: 2 },
      { shop_id: 's2', n: 1 },
    ]);
    expect(await rows('fs_second')).toEqual(await rows('fs_first'));
    expect(await rows('fs_third')).toEqual([
      { shop_id: 's1', seen: 2 },
      { shop_id: 's2', seen: 1 },
    ]);
    const all = await changes;
    expect(all.map((c) => `${c.table} ${String(c.key['shop_id'])} ${c.operation}`)).toEqual([
      'fs_first s1 INSERT',
      'fs_first s2 INSERT',
      'fs_first s1 UPDATE',
      'fs_second s1 INSERT',
      'fs_second s2 INSERT',
      'fs_second s1 UPDATE',
      'fs_third s1 INSERT',
      'fs_third s2 INSERT',
      'fs_third s1 UPDATE',
    ]);
  });
});
