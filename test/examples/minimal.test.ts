/**
 * The README's quickstart (examples/minimal) as a real process: appends over
 * HTTP reach an SSE client as the projection's rows.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectRealtime, LiveTable } from '@creatorflow/sync/client';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram, type ChildProgram } from '../support/child-process.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait.js';

describe('examples/minimal', () => {
  it('is the README quickstart, character for character (from its first import)', () => {
    const file = readFileSync(new URL('../../examples/minimal/index.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### A first app'));
    const block = section.slice(
      section.indexOf('```ts\n') + 6,
      section.indexOf('```\n', section.indexOf('```ts\n') + 6),
    );
    expect(block).toBe(file.slice(file.indexOf('import { createServer }')));
  });

  let child: ChildProgram | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('streams the projection of appended visits to an SSE client', async () => {
    const port = await freePort();
    child = runProgram(fileURLToPath(new URL('../../examples/minimal/index.ts', import.meta.url)), {
      PORT: String(port),
    });
    await child.line(/^listening on /, 120_000);
    const base = `http://127.0.0.1:${port}`;
    const client = connectRealtime({
      url: `${base}/sse`,
      channel: 'page_visits',
      throttleMs: 0,
      headers: { 'x-user': 'me' },
    });
    const table = new LiveTable();
    client.messages$.subscribe((e) => table.apply(e));
    try {
      for (const page of ['home', 'home', 'pricing']) {
        expect((await fetch(`${base}/visits/${page}`, { method: 'POST' })).status).toBe(201);
      }
      await waitFor(
        () => table.rows().find((r) => r.page === 'home')?.visits === 2 && table.rows().length === 2,
        {
          what: 'two pages, home visited twice',
        },
      );
      expect((await fetch(`${base}/nowhere`, { method: 'POST' })).status).toBe(404);
    } finally {
      client.close();
    }
  }, 180_000);
});
