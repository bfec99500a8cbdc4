/**
 * The task board's host: the engine (store, projection, channel, saga) and a
 * small JSON API on `node:http`, plus SSE for browsers. Users are named by an
 * `x-user` header and see the boards listed in `x-boards` — a stand-in for a
 * real session, enough to show that each user only streams their own boards.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  createSseHandler,
  createSyncEngine,
  isConcurrencyError,
  isSyncError,
  PayloadTooLargeError,
  type SqlClient,
  type SyncEngine,
} from '@creatorflow/sync';
import { ConflictResolver, type ConflictRecord } from '@creatorflow/sync/conflicts';
import { z } from 'zod';
import {
  boardChannel,
  boardConflicts,
  boardTasks,
  COLUMNS,
  reviewSaga,
  taskEvents,
  taskStream,
  type ReviewServices,
  type TaskEvent,
} from './board.js';

/** Options of {@link createTaskBoard}. */
export interface TaskBoardOptions {
  sql: SqlClient;
  services: ReviewServices;
  /** Schema of every table. Default `'task_board'`. */
  schema?: string;
}

/** A running task board. */
export interface TaskBoard {
  /** Typed by the board's catalog: `engine.store.append` takes only its events. */
  readonly engine: SyncEngine<TaskEvent>;
  readonly resolver: ConflictResolver;
  readonly server: Server;
  start(port?: number): Promise<number>;
  close(): Promise<void>;
}

const moveBody = z.object({ column: z.enum(COLUMNS), expectedVersion: z.number().int().min(1) });
const syncBody = z.object({
  moves: z
    .array(
      z.object({
        source: z.enum(['web_app', 'mobile_app']),
        device: z.string().min(1),
        changeId: z.string().min(1),
        at: z.string().min(1), // hybrid-logical-clock reading of the device
        column: z.enum(COLUMNS),
      }),
    )
    .min(1),
});

/**
 * Wire the board: the engine runs the projection and the review saga; the
 * resolver decides concurrent moves from the two apps.
 *
 * @example
 * ```ts
 * const board = createTaskBoard({ sql: fromPglite(await openPglite()), services });
 * const port = await board.start(3001);
 * ```
 */
export function createTaskBoard(options: TaskBoardOptions): TaskBoard {
  const schema = options.schema ?? 'task_board';
  const engine = createSyncEngine({
    sql: options.sql,
    schema,
    store: { events: taskEvents },
    projections: [boardTasks],
    channels: [boardChannel],
    sagas: [
      {
        definition: reviewSaga(options.services),
        startOn: (e) => {
          // Typed by the catalog: `e.data` is the move's payload once `type` is checked.
          if (e.type !== 'task.moved' || e.data.column !== 'review') return null;
          const d = e.data;
          return {
            input: { taskId: d.taskId, boardId: d.boardId, reviewer: 'reviewer-1' },
            sagaId: `review-${e.id}`,
          };
        },
      },
    ],
  });
  const resolver = new ConflictResolver({
    store: engine.store,
    config: boardConflicts,
    streamId: (_type, id) => taskStream(id),
  });
  const sse = createSseHandler(engine.hub, {
    authorize: (req) => ({ userId: header(req, 'x-user'), tenantIds: header(req, 'x-boards').split(',') }),
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://board');
    if (req.method === 'GET' && url.pathname === '/realtime/sse') return sse(req, res);
    const parts = url.pathname.split('/').filter(Boolean); // boards/:board/tasks[/:task/(move|sync)]
    if (req.method !== 'POST' || parts[0] !== 'boards' || parts[2] !== 'tasks' || parts[1] === undefined) {
      return reply(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    }
    const boardId = parts[1];
    const body = await readJson(req);
    if (parts.length === 3) {
      const taskId = randomUUID();
      const title = z.object({ title: z.string().min(1) }).parse(body).title;
      const r = await engine.store.append(
        `task-${taskId}`,
        [{ type: 'task.created', data: { taskId, boardId, title } }],
        {
          aggregateType: 'task',
          expectedVersion: 'no_stream',
        },
      );
      return reply(res, 201, { taskId, version: r.nextVersion });
    }
    const taskId = parts[3]!;
    if (parts[4] === 'move') {
      const { column, expectedVersion } = moveBody.parse(body);
      const r = await engine.store.append(
        `task-${taskId}`,
        [{ type: 'task.moved', data: { taskId, boardId, column } }],
        {
          aggregateType: 'task',
          expectedVersion,
        },
      );
      return reply(res, 200, { version: r.nextVersion });
    }
    if (parts[4] === 'sync') {
      // Moves that devices made while offline, uploaded together: concurrent
      // moves of one task are a conflict, decided by source priority.
      const { moves } = syncBody.parse(body);
      const { records, unconflicted } = await resolver.process(
        moves.map((m) => ({
          entityType: 'task',
          entityId: `${boardId}/${taskId}`,
          source: m.source,
          sourceId: m.device,
          eventId: m.changeId,
          hlc: m.at,
          changes: { column: m.column },
        })),
      );
      for (const m of unconflicted) {
        // The resolver hands back JSON: the catalog checks it is still a column.
        const data = taskEvents.parse('task.moved', { taskId, boardId, column: m.changes?.column });
        await engine.store.append(`task-${taskId}`, [{ type: 'task.moved', data }], {
          aggregateType: 'task',
          idempotencyKey: `task-move:${m.eventId}`,
        });
      }
      return reply(res, 200, { conflicts: records.map(summary), applied: unconflicted.length });
    }
    return reply(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (isConcurrencyError(err)) return reply(res, 409, { error: err.toJSON() });
      if (err instanceof SyntaxError)
        return reply(res, 400, { error: { code: 'INVALID_JSON', message: err.message } });
      if (err instanceof z.ZodError)
        return reply(res, 400, { error: { code: 'VALIDATION_FAILED', message: err.message } });
      if (isSyncError(err) && httpStatus(err.code) !== 500)
        return reply(res, httpStatus(err.code), { error: err.toJSON() });
      console.error(err);
      return reply(res, 500, { error: { code: 'INTERNAL', message: 'Internal error' } });
    });
  });

  return {
    engine,
    resolver,
    server,
    async start(port = 0) {
      await engine.start();
      await resolver.migrate();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      return (server.address() as { port: number }).port;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      resolver.close();
      await engine.close();
    },
  };
}

function summary(r: ConflictRecord) {
  return {
    conflictId: r.conflictId,
    status: r.status,
    winner: r.resolution?.winner ?? null,
    set: r.resolution?.set ?? {},
  };
}

function httpStatus(code: string): number {
  return code === 'VALIDATION_FAILED' || code === 'UNKNOWN_EVENT_TYPE'
    ? 400
    : code === 'UNAUTHORIZED'
      ? 401
      : 500;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  if (typeof value !== 'string' || value === '') throw new Error(`missing ${name}`);
  return value;
}

const BODY_LIMIT = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new PayloadTooLargeError('the request body', size, BODY_LIMIT);
    chunks.push(chunk);
  }
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
