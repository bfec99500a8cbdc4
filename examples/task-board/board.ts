/**
 * A task board, the second reference app: nothing here is commerce. Tasks are
 * event streams (`task-<id>`) appended with expected versions; a projection
 * keeps `board_tasks`; a realtime channel streams it to browsers per board;
 * a saga books a review slot and notifies the reviewer, undoing the booking
 * when the notification is refused; and when the web app and the mobile app
 * move the same task at once, the conflict resolver decides by source
 * priority (web 7 over mobile 5), with an audit record.
 *
 * Built only from the package's public entry points, as any user's app is.
 */
import {
  defineEvents,
  defineProjection,
  defineSaga,
  type CatalogEvent,
  type ChannelDefinition,
  type SagaStepConfig,
} from '@creatorflow/sync';
import { conflictEventSchemas, type ConflictConfigInput } from '@creatorflow/sync/conflicts';
import { z } from 'zod';

/** The board's columns. */
export const COLUMNS = ['todo', 'doing', 'review', 'done'] as const;
/** One of {@link COLUMNS}. */
export type Column = (typeof COLUMNS)[number];

/**
 * The board's events, typed and validated on append; the conflict resolver's
 * events are in the catalog too, so the projection folds its decisions.
 */
export const taskEvents = defineEvents({
  ...conflictEventSchemas,
  'task.created': z.object({ taskId: z.string(), boardId: z.string(), title: z.string().min(1) }),
  'task.moved': z.object({ taskId: z.string(), boardId: z.string(), column: z.enum(COLUMNS) }),
  'task.assigned': z.object({ taskId: z.string(), boardId: z.string(), assignee: z.string() }),
});
/** One of the board's events, discriminated by `type`. */
export type TaskEvent = CatalogEvent<typeof taskEvents>;

/** A row of the board's read model. */
export interface BoardTaskRow {
  board_id: string;
  task_id: string;
  title: string;
  column_name: Column;
  assignee: string | null;
  version: number;
  [column: string]: unknown;
}

/** The read model: one row per task, keyed by board and task. */
export const boardTasks = defineProjection<BoardTaskRow, TaskEvent>({
  name: 'board_tasks',
  key: ['board_id', 'task_id'],
  migrations: [
    `CREATE TABLE :TABLE: (
       board_id text NOT NULL, task_id text NOT NULL, title text NOT NULL,
       column_name text NOT NULL, assignee text, version int NOT NULL,
       PRIMARY KEY (board_id, task_id))`,
  ],
  handlers: {
    'task.created': {
      key: (e) => keyOf(e.data),
      apply: (_row, e) => ({ title: e.data.title, column_name: 'todo', assignee: null, version: e.version }),
    },
    'task.moved': {
      key: (e) => keyOf(e.data),
      apply: (row, e) => row && { column_name: e.data.column, version: e.version },
    },
    'task.assigned': {
      key: (e) => keyOf(e.data),
      apply: (row, e) => row && { assignee: e.data.assignee, version: e.version },
    },
    // A conflict between the apps was decided: the winner's column applies.
    'conflict.resolved': {
      key: (e) => {
        if (e.data.entityType !== 'task') return null;
        const [board_id = '', task_id = ''] = e.data.entityId.split('/');
        return { board_id, task_id };
      },
      apply: (row, e) => {
        const column = e.data.set.column;
        return row && typeof column === 'string' ? { column_name: column as Column } : undefined;
      },
    },
  },
});

function keyOf(d: { boardId: string; taskId: string }): { board_id: string; task_id: string } {
  return { board_id: d.boardId, task_id: d.taskId };
}

/** The realtime channel over the read model: a browser sees the boards it may open. */
export const boardChannel: ChannelDefinition = {
  name: 'board_tasks',
  keyColumns: ['board_id', 'task_id'],
  tenantColumn: 'board_id',
  filterableColumns: ['column_name', 'assignee'],
  throttleMs: 50,
};

/** Who may move a task, and how much each is trusted when two move it at once. */
export const boardConflicts: ConflictConfigInput = {
  priorities: { web_app: 7, mobile_app: 5 },
};

/** A task's stream; conflicts are named `<board>/<task>` so the read model can key them. */
export const taskStream = (entityId: string): string => `task-${entityId.split('/').pop() ?? entityId}`;

/** The review-booking saga's third parties (a calendar and a notifier). */
export interface ReviewServices {
  bookSlot(taskId: string, reviewer: string, idempotencyKey: string): Promise<{ slotId: string }>;
  cancelSlot(slotId: string, idempotencyKey: string): Promise<void>;
  notify(reviewer: string, message: string, idempotencyKey: string): Promise<void>;
}

const reviewInput = z.object({ taskId: z.string(), boardId: z.string(), reviewer: z.string() });
/** What the review saga starts with. */
export type ReviewInput = z.infer<typeof reviewInput>;

/**
 * When a task enters review: book a slot in the reviewer's calendar, then
 * notify the reviewer. A refused notification cancels the slot.
 */
export function reviewSaga(services: ReviewServices) {
  // Typed by its output: the compensation gets the booked slot (or null), no cast.
  const bookSlot: SagaStepConfig<ReviewInput, { slotId: string }> = {
    name: 'book_slot',
    action: async ({ input, idempotencyKey }) =>
      services.bookSlot(input.taskId, input.reviewer, idempotencyKey),
    compensation: {
      name: 'cancel_slot',
      run: async ({ output, idempotencyKey }) => {
        if (output) await services.cancelSlot(output.slotId, idempotencyKey);
      },
    },
  };
  return defineSaga({
    name: 'task_review',
    input: reviewInput,
    steps: [
      bookSlot,
      {
        name: 'notify_reviewer',
        action: async ({ input, idempotencyKey }) => {
          await services.notify(input.reviewer, `Task ${input.taskId} is ready for review`, idempotencyKey);
          return null;
        },
        compensation: 'none',
      },
    ],
  });
}
