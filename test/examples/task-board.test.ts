/**
 * The task board (examples/task-board), the non-commerce reference app, on
 * PGlite and PostgreSQL: expected versions, the projection streamed to an SSE
 * client per board, the review saga compensated when the notifier refuses,
 * and concurrent moves from two apps decided by source priority with an audit
 * record. It imports the package by name, as a user's app does.
 */
import { formatHlc } from '@creatorflow/sync/conflicts';
import { connectRealtime, LiveTable, type RealtimeClient } from '@creatorflow/sync/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskBoard, type TaskBoard } from '../../examples/task-board/app.js';
import {
  createFakeReviewServices,
  type FakeReviewServices,
} from '../../examples/task-board/fake-services.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

describe.each(sqlEngines)('task board on $name', (engine) => {
  let db: TestDatabase;
  let board: TaskBoard;
  let services: FakeReviewServices;
  let base: string;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    services = createFakeReviewServices();
    board = createTaskBoard({ sql: db.sql, schema: db.schema, services });
    base = `http://127.0.0.1:${await board.start()}`;
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await board?.close();
    await db?.close();
  }, 60_000);

  const post = async (path: string, body: unknown) => {
    const res = await fetch(base + path, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const live = (boards: string) => {
    const client = connectRealtime({
      url: `${base}/realtime/sse`,
      channel: 'board_tasks',
      throttleMs: 0,
      headers: { 'x-user': `user-${boards}`, 'x-boards': boards },
    });
    clients.push(client);
    const table = new LiveTable();
    client.messages$.subscribe((envelope) => table.apply(envelope));
    return table;
  };

  it.skipIf(!engine.available)(
    'streams a board to its users only, and refuses a stale expected version',
    async () => {
      const b1 = live('b1');
      const b2 = live('b2');
      const created = await post('/boards/b1/tasks', { title: 'Write the docs' });
      expect(created.status).toBe(201);
      const taskId = created.body.taskId as string;
      await waitFor(() => b1.rows().some((r) => r.task_id === taskId), { what: 'the new task on board b1' });

      const moved = await post(`/boards/b1/tasks/${taskId}/move`, { column: 'doing', expectedVersion: 1 });
      expect(moved).toEqual({ status: 200, body: { version: 2 } });
      await waitFor(() => b1.rows().find((r) => r.task_id === taskId)?.column_name === 'doing', {
        what: 'the move on board b1',
      });

      const stale = await post(`/boards/b1/tasks/${taskId}/move`, { column: 'done', expectedVersion: 1 });
      expect(stale.status).toBe(409);
      expect((stale.body.error as { code: string }).code).toBe('CONCURRENCY_CONFLICT');
      const bad = await post(`/boards/b1/tasks/${taskId}/move`, { column: 'archived', expectedVersion: 2 });
      expect(bad.status).toBe(400);
      const { version } = await board.engine.store.readStream(`task-${taskId}`);
      expect(version).toBe(2); // neither refusal wrote anything
      expect(b2.rows()).toEqual([]); // board b2's user never saw b1's task
    },
  );

  it.skipIf(!engine.available)(
    'books a review, and cancels the booking when the notifier refuses',
    async () => {
      const ok = (await post('/boards/b1/tasks', { title: 'Review me' })).body.taskId as string;
      await post(`/boards/b1/tasks/${ok}/move`, { column: 'review', expectedVersion: 1 });
      await waitFor(
        () => services.slots.get(`slot-reviewer-1-${ok}`) === 'booked' && services.notifications.size === 1,
        {
          what: 'the review booked and the reviewer notified',
        },
      );

      services.refuseNotifications = true;
      const refused = (await post('/boards/b1/tasks', { title: 'Nobody to tell' })).body.taskId as string;
      await post(`/boards/b1/tasks/${refused}/move`, { column: 'review', expectedVersion: 1 });
      await waitFor(() => services.slots.get(`slot-reviewer-1-${refused}`) === 'cancelled', {
        what: 'the booking cancelled by the compensation',
      });
      expect(services.slots.get(`slot-reviewer-1-${ok}`)).toBe('booked');
      services.refuseNotifications = false;
    },
  );

  it.skipIf(!engine.available)(
    'decides concurrent moves from the two apps by priority, with an audit record',
    async () => {
      const table = live('b1');
      const taskId = (await post('/boards/b1/tasks', { title: 'Contested' })).body.taskId as string;
      const now = Date.now();
      const sync = await post(`/boards/b1/tasks/${taskId}/sync`, {
        moves: [
          // The phone moved it later, but the web app outranks it (7 over 5).
          {
            source: 'mobile_app',
            device: 'phone-1',
            changeId: 'm-1',
            at: formatHlc({ wallMs: now + 500, logical: 0, node: 'phone-1' }),
            column: 'done',
          },
          {
            source: 'web_app',
            device: 'browser-1',
            changeId: 'w-1',
            at: formatHlc({ wallMs: now, logical: 0, node: 'browser-1' }),
            column: 'doing',
          },
        ],
      });
      expect(sync.status).toBe(200);
      const [conflict] = sync.body.conflicts as {
        conflictId: string;
        status: string;
        set: { column?: string };
      }[];
      expect(conflict?.set.column).toBe('doing');
      await waitFor(() => table.rows().find((r) => r.task_id === taskId)?.column_name === 'doing', {
        what: 'the resolved column on the board',
      });
      const audit = await board.resolver.get(conflict!.conflictId);
      expect(audit?.resolution.contenders.map((c) => c.source)).toEqual(['web_app', 'mobile_app']);
      expect(audit?.resolution.winner).toBe('w-1');
    },
  );
});
