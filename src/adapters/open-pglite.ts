/**
 * Start embedded PGlite in well under a second. A fresh PGlite spends most of
 * its start-up (about 2 s of about 2.5 s) running `initdb`; the result is the
 * same on every start of the same PGlite build. So the first start dumps the
 * freshly initialised data directory to a cache file, and every later start
 * loads that file instead of running `initdb` again.
 *
 * The cache file is named after the PGlite version, so an upgrade never loads
 * another build's directory; if loading still fails (a truncated file, a
 * PostgreSQL that refuses the directory), the start falls back to `initdb` and
 * rewrites the file. Writes go to a temporary file renamed into place, so two
 * processes starting at once never read half a file.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import type { PgliteLike } from './pglite.js';

/**
 * Options of {@link openPglite}.
 *
 * @example
 * ```ts
 * // A persistent database in ./data, seeded from the shared template on first start.
 * const db = await openPglite({ dataDir: './data', pglite: { debug: 1 } });
 * // Tests that must run `initdb` every time:
 * const fresh = await openPglite({ templateDir: false });
 * ```
 */
export interface OpenPgliteOptions {
  /**
   * A directory for a persistent database; in memory when absent. A directory
   * that already holds a database is opened as it is; an empty one is seeded
   * from the template.
   */
  dataDir?: string;
  /**
   * Where the initialised template is kept, or `false` to always run `initdb`.
   * Default: `<os tmpdir>/creatorflow-sync-pglite`.
   */
  templateDir?: string | false;
  /**
   * Any other PGlite option (extensions, debug level…), passed through.
   * Typed loosely on purpose: PGlite's own declarations need
   * `@types/emscripten`, which a strict consumer may not have.
   */
  pglite?: Record<string, unknown>;
}

/**
 * The PGlite instance {@link openPglite} returns, declared as the subset this
 * library and most hosts use (it is a full `PGlite` at run time).
 */
export interface OpenedPglite extends PgliteLike {
  query<Row = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<{ rows: Row[]; affectedRows?: number }>;
  close(): Promise<void>;
  readonly closed: boolean;
  /** A tarball of the data directory (what a template is made of). */
  dumpDataDir(compression?: 'none' | 'gzip' | 'auto'): Promise<Blob>;
}

/**
 * Open an embedded PGlite database, seeded from a cached, already initialised
 * data directory (about 0.5 s instead of about 2.5 s). Close it with
 * `db.close()` when done: the store never closes a database it was given.
 *
 * @example
 * ```ts
 * import { createEventStore } from '@creatorflow/sync';
 * import { fromPglite, openPglite } from '@creatorflow/sync/pglite';
 *
 * const db = await openPglite();
 * const store = createEventStore({ sql: fromPglite(db) });
 * await store.migrate();
 * // …
 * await store.close();
 * await db.close();
 * ```
 */
export async function openPglite(options: OpenPgliteOptions = {}): Promise<OpenedPglite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const extra = (options.pglite ?? {}) as PGliteOptions;
  const withDir = (o: PGliteOptions): PGliteOptions =>
    options.dataDir === undefined ? o : { ...o, dataDir: options.dataDir };
  if (options.dataDir !== undefined && (await holdsDatabase(localPath(options.dataDir)))) {
    return PGlite.create(withDir(extra));
  }
  const file = options.templateDir === false ? undefined : templateFile(options.templateDir);
  if (file === undefined) return PGlite.create(withDir(extra));

  const template = await readFile(file).catch(() => undefined);
  if (template !== undefined) {
    const seeded = await PGlite.create(withDir({ ...extra, loadDataDir: new Blob([template]) })).catch(
      () => undefined,
    );
    if (seeded !== undefined) return seeded;
    const dir = options.dataDir === undefined ? undefined : localPath(options.dataDir);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
  const db = await PGlite.create(withDir(extra));
  await saveTemplate(db, file).catch(() => undefined); // a read-only cache only costs speed
  return db;
}

/** Dump a freshly initialised directory (before anything is written to it) as the template. */
async function saveTemplate(db: PGlite, file: string): Promise<void> {
  const dump = await db.dumpDataDir('none');
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, file);
}

/** The template's file for this PGlite build, or undefined when the version cannot be found. */
function templateFile(dir: string | undefined): string | undefined {
  const version = pgliteVersion();
  if (version === undefined) return undefined;
  return join(dir ?? join(tmpdir(), 'creatorflow-sync-pglite'), `pglite-${version}.tar`);
}

/** The installed PGlite's version, read from its package.json next to its entry point. */
function pgliteVersion(): string | undefined {
  try {
    const entry = createRequire(join(process.cwd(), 'package.json')).resolve('@electric-sql/pglite');
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = readManifest(join(dir, 'package.json'));
      if (manifest?.name === '@electric-sql/pglite' && typeof manifest.version === 'string') {
        return manifest.version.replace(/[^0-9A-Za-z.-]/g, '_');
      }
    }
  } catch {
    // not resolvable from here (bundled, unusual layout): no template, plain start
  }
  return undefined;
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}

/** The file-system path of a PGlite `dataDir` (`file://` or a bare path), else undefined (`memory://`). */
function localPath(dataDir: string): string | undefined {
  if (dataDir.startsWith('file://')) return dataDir.slice('file://'.length);
  return dataDir.includes('://') ? undefined : dataDir;
}

async function holdsDatabase(dir: string | undefined): Promise<boolean> {
  if (dir === undefined) return false;
  return stat(join(dir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}
