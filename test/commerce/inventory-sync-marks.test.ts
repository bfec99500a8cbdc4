/**
 * The inventory sync's marks port (`InventorySyncMarks`) on memory, PGlite and
 * PostgreSQL, the same laws for each adapter: a product holds one mark
 * (earliest first time, latest last time, highest position), a removal takes
 * only marks at or below the synced position, adding is idempotent (a mark at
 * or below the position a run synced — an event delivered again after a
 * crash — marks nothing; a later one starts a new mark), and on SQL the
 * upsert goes in the statement that moves a processor's checkpoint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryInventorySyncMarks,
  SqlInventorySyncMarks,
  type InventorySyncMark,
  type InventorySyncMarks,
} from '../../src/commerce/index.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { sqlProcessingState } from '../../src/processing/index.js';
import { portEngines } from './port-engines.js';

interface Opened {
  marks: InventorySyncMarks;
  sql?: SqlClient;
  schema?: string;
  close(): Promise<void>;
}

const adapters = portEngines<Omit<Opened, 'close'>>(
  () => ({ marks: new MemoryInventorySyncMarks() }),
  (db) => ({ marks: new SqlInventorySyncMarks(db.sql, db.schema), sql: db.sql, schema: db.schema }),
);

const mark = (productId: string, at: number, position: number, creatorId = 'c1'): InventorySyncMark => ({
  creatorId,
  productId,
  firstMs: at,
  lastMs: at,
  position,
});

const sorted = (marks: InventorySyncMark[]) =>
  [...marks].sort((a, b) => a.creatorId.localeCompare(b.creatorId) || a.productId.localeCompare(b.productId));

describe.each(adapters)('inventory sync marks ($name)', (adapter) => {
  let opened: Opened;
  beforeEach(async () => {
    opened = await adapter.open();
    await opened.marks.migrate();
    await opened.marks.migrate(); // twice: safe
  });
  afterEach(async () => {
    await opened.close();
  });

  it('holds one mark a product: earliest first time, latest last time, highest position', async () => {
    const { marks } = opened;
    await marks.add([mark('p1', 100, 5), mark('p2', 100, 6), mark('p1', 300, 9)]);
    await marks.add([mark('p1', 200, 7), mark('p1', 50, 8, 'c2')]);
    expect(sorted(await marks.load())).toEqual([
      { creatorId: 'c1', productId: 'p1', firstMs: 100, lastMs: 300, position: 9 },
      { creatorId: 'c1', productId: 'p2', firstMs: 100, lastMs: 100, position: 6 },
      { creatorId: 'c2', productId: 'p1', firstMs: 50, lastMs: 50, position: 8 },
    ]);
  });

  it('removes a mark only at or below the synced position: a later event keeps it', async () => {
    const { marks } = opened;
    await marks.add([mark('p1', 100, 5), mark('p2', 100, 6), mark('p3', 100, 7)]);
    await marks.remove([
      { creatorId: 'c1', productId: 'p1', position: 5 },
      { creatorId: 'c1', productId: 'p2', position: 4 },
      { creatorId: 'c1', productId: 'p3', position: 9 },
      { creatorId: 'c1', productId: 'absent', position: 9 },
    ]);
    await marks.remove([]);
    expect((await marks.load()).map((m) => [m.productId, m.position])).toEqual([['p2', 6]]);
  });

  it('add returns the pending mark of each product it marked', async () => {
    const { marks } = opened;
    expect(sorted(await marks.add([mark('p1', 100, 5), mark('p2', 100, 6)]))).toEqual([
      mark('p1', 100, 5),
      mark('p2', 100, 6),
    ]);
    expect(await marks.add([mark('p1', 300, 4)])).toEqual([
      { creatorId: 'c1', productId: 'p1', firstMs: 100, lastMs: 300, position: 5 },
    ]);
    expect(await marks.add([])).toEqual([]);
  });

  it('is idempotent past a run: events at or below the synced position mark nothing, a later one starts anew', async () => {
    const { marks } = opened;
    await marks.add([mark('p1', 100, 5), mark('p2', 100, 6)]);
    await marks.remove([
      { creatorId: 'c1', productId: 'p1', position: 5 },
      { creatorId: 'c1', productId: 'p2', position: 6 },
    ]);
    // The same batch delivered again (a crash before its checkpoint moved), and an older event.
    expect(await marks.add([mark('p1', 900, 5), mark('p2', 900, 6), mark('p2', 900, 3)])).toEqual([]);
    expect(await marks.load()).toEqual([]);
    // A later event starts a new mark: its own first time, not the synced one's.
    expect(await marks.add([mark('p1', 1_000, 8)])).toEqual([mark('p1', 1_000, 8)]);
    await marks.add([mark('p1', 1_200, 7)]);
    expect(await marks.load()).toEqual([
      { creatorId: 'c1', productId: 'p1', firstMs: 1_000, lastMs: 1_200, position: 8 },
    ]);
    // A stale settlement moves nothing back.
    await marks.remove([{ creatorId: 'c1', productId: 'p1', position: 2 }]);
    expect(await marks.add([mark('p1', 1_300, 5)])).toEqual([]);
  });

  it.skipIf(adapter.name === 'memory')(
    'sent with a processor’s checkpoint: one statement moves it and marks; a failed fence throws, the marks stay',
    async () => {
      const { marks, sql } = opened;
      const state = sqlProcessingState(sql!, opened.schema!);
      await state.migrate();
      await state.saveCheckpoint('marker', '1:1');
      const marked = await state.commit(
        'marker',
        '1:1',
        '2:2',
        (_tx, withCheckpoint) => marks.add([mark('p1', 100, 5)], withCheckpoint),
        { atomic: false },
      );
      expect(marked).toEqual([mark('p1', 100, 5)]);
      expect(await state.readCheckpoint('marker')).toBe('2:2');
      // A holder whose fence fails (another moved the checkpoint) still wrote its marks: they are idempotent.
      await expect(
        state.commit(
          'marker',
          '1:1',
          '3:3',
          (_tx, withCheckpoint) => marks.add([mark('p2', 100, 6)], withCheckpoint),
          { atomic: false },
        ),
      ).rejects.toMatchObject({ code: 'CHECKPOINT_MOVED' });
      expect(await state.readCheckpoint('marker')).toBe('2:2');
      expect(sorted(await marks.load()).map((m) => m.productId)).toEqual(['p1', 'p2']);
    },
  );
});
