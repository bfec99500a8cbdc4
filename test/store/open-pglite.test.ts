import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromPglite, openPglite } from '../../src/adapters/pglite.js';
import { createEventStore } from '../../src/store/create-event-store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'open-pglite-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function templateOf(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tar'));
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
}

async function tableExists(db: Awaited<ReturnType<typeof openPglite>>, name: string): Promise<boolean> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = $1`, [
    name,
  ]);
  return r.rows[0]?.n === 1;
}

/** Each case boots PGlite two or three times: minutes on a loaded 2-core machine. */
const BOOTS_TIMEOUT_MS = 240_000;

describe('openPglite', () => {
  it(
    'writes a template on the first start and seeds later starts from it',
    async () => {
      const templateDir = await tempDir();
      const first = await openPglite({ templateDir });
      await first.close();
      const file = await templateOf(templateDir);

      // Replace the template with one holding a marker table: a start that runs
      // initdb would not have it, a start seeded from the template does.
      const marked = await openPglite({ templateDir: false });
      await marked.exec('CREATE TABLE template_marker (id int)');
      await writeFile(file, Buffer.from(await (await marked.dumpDataDir('none')).arrayBuffer()));
      await marked.close();

      const seeded = await openPglite({ templateDir });
      expect(await tableExists(seeded, 'template_marker')).toBe(true);
      const store = createEventStore({ sql: fromPglite(seeded) });
      await store.migrate();
      const r = await store.append('s-1', [{ type: 'x.happened', data: { n: 1 } }], {
        expectedVersion: 'no_stream',
      });
      expect(r.nextVersion).toBe(1);
      await store.close();
      await seeded.close();
    },
    BOOTS_TIMEOUT_MS,
  );

  it(
    'falls back to initdb on a broken template and rewrites it',
    async () => {
      const templateDir = await tempDir();
      await (await openPglite({ templateDir })).close();
      const file = await templateOf(templateDir);
      await writeFile(file, 'not a tar file');

      const db = await openPglite({ templateDir });
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
      await db.close();
      expect((await readFile(file)).length).toBeGreaterThan(1_000_000);
    },
    BOOTS_TIMEOUT_MS,
  );

  it(
    'seeds an empty persistent directory and reopens it with its data',
    async () => {
      const templateDir = await tempDir();
      const dataDir = join(await tempDir(), 'db');
      await (await openPglite({ templateDir })).close();

      const db = await openPglite({ templateDir, dataDir });
      await db.exec('CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)');
      await db.close();

      const reopened = await openPglite({ templateDir, dataDir });
      expect((await reopened.query<{ id: number }>('SELECT id FROM kept')).rows).toEqual([{ id: 7 }]);
      await reopened.close();
    },
    BOOTS_TIMEOUT_MS,
  );
});
