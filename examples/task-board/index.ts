/**
 * `npm run example:task-board`: the task board on embedded PGlite at
 * http://127.0.0.1:3001 (`PORT`). Try:
 *
 *   curl -XPOST localhost:3001/boards/b1/tasks -d '{"title":"Write docs"}'
 *   curl -N localhost:3001/realtime/sse?channel=board_tasks -H 'x-user: u1' -H 'x-boards: b1'
 */
import { fromPglite, openPglite } from '@creatorflow/sync/pglite';
import { createTaskBoard } from './app.js';
import { createFakeReviewServices } from './fake-services.js';

const db = await openPglite();
const board = createTaskBoard({ sql: fromPglite(db), services: createFakeReviewServices() });
const port = await board.start(Number(process.env.PORT ?? 3001));
console.log(`task board on http://127.0.0.1:${port}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void board
      .close()
      .then(() => db.close())
      .then(() => process.exit(0));
  });
}
