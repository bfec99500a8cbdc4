/**
 * `npm run bench:charts`: draws the SVG charts in docs/charts/ from the
 * figures of record in benchmarks/results/*.jsonl (the JSON lines a
 * `npm run bench -- <name> --record` run writes). Charts are specified in
 * Vega-Lite and rendered headless by Vega, so nothing here draws by hand;
 * test/benchmarks/charts.test.ts fails when a committed chart no longer
 * matches its figures.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { chartSpecs, type ResultLine } from './chart-specs.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Where the figures of record live. */
export const RESULTS_DIR = join(here, '..', 'results');
/** Where the rendered charts go. */
export const CHARTS_DIR = join(here, '..', '..', 'docs', 'charts');

/** Every result line of record, from every results file. */
export function readResults(dir = RESULTS_DIR): ResultLine[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as ResultLine),
    );
}

/** Render one Vega-Lite spec to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return `${svg}\n`;
}

/** The charts the figures of record give: file name → SVG text. */
export async function renderCharts(results: readonly ResultLine[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [file, spec] of chartSpecs(results)) out.set(file, await renderSvg(spec));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const charts = await renderCharts(readResults());
  for (const [file, svg] of charts) {
    writeFileSync(join(CHARTS_DIR, file), svg);
    process.stdout.write(`docs/charts/${file}\n`);
  }
}
