/**
 * The dashboard's files: plain HTML/CSS/JS from this folder, plus the
 * library's realtime client (`src/client`) bundled for the browser with
 * esbuild once, at host start. No build step, no CDN.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file to serve. */
export interface Asset {
  contentType: string;
  body: string;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

const STATIC = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'conflicts-panel.js': 'text/javascript; charset=utf-8',
  'conflict-rows.js': 'text/javascript; charset=utf-8',
  'rows-digest.js': 'text/javascript; charset=utf-8',
  'conflicts-panel.css': 'text/css; charset=utf-8',
  'alerts-panel.js': 'text/javascript; charset=utf-8',
  'alerts-panel.css': 'text/css; charset=utf-8',
  'forecast-panel.js': 'text/javascript; charset=utf-8',
  'forecast-panel.css': 'text/css; charset=utf-8',
  'forecast-accuracy.js': 'text/javascript; charset=utf-8',
} as const;

/**
 * Bundle `src/client/index.ts` as one browser ES module.
 *
 * @example
 * ```ts
 * const code = await bundleClient(); // export { connectRealtime, LiveTable, … }
 * ```
 */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [here('../../src/client/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * Load every dashboard file, keyed by the path it is served at
 * (`/` and `/dashboard/<file>`).
 *
 * @example
 * ```ts
 * const assets = await loadDashboardAssets();
 * const page = assets.get('/');
 * ```
 */
export async function loadDashboardAssets(): Promise<ReadonlyMap<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(STATIC)) {
    assets.set(`/dashboard/${name}`, { contentType, body: await readFile(here(name), 'utf8') });
  }
  assets.set('/', assets.get('/dashboard/index.html')!);
  assets.set('/dashboard/client.js', {
    contentType: 'text/javascript; charset=utf-8',
    body: await bundleClient(),
  });
  return assets;
}
