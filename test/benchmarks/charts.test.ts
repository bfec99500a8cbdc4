/**
 * The charts in docs/charts/ are drawn from the figures of record in
 * benchmarks/results/: a chart that no longer matches its figures (a result
 * recorded without `--record` redrawing, or a hand-edited SVG) fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartSpecs } from '../../benchmarks/charts/chart-specs.js';
import { CHARTS_DIR, readResults, renderCharts } from '../../benchmarks/charts/render-charts.js';

describe('benchmark charts', () => {
  it('every committed chart equals a fresh rendering of the recorded figures', async () => {
    const charts = await renderCharts(readResults());
    expect([...charts.keys()].sort()).toEqual([
      'append.svg',
      'catchup.svg',
      'realtime-latency.svg',
      'takeover.svg',
    ]);
    for (const [file, svg] of charts) {
      expect(
        readFileSync(join(CHARTS_DIR, file), 'utf8'),
        `docs/charts/${file}: run npm run bench:charts`,
      ).toBe(svg);
    }
  }, 60_000);

  it('draws what the lines say and leaves out a chart whose lines are missing', async () => {
    const lines = [
      { name: 'projection.catchup', events: 1000, events_per_s: 123_456 },
      { name: 'emmett.projection.catchup', events: 1000, events_per_s: 4_321 },
    ];
    const charts = await renderCharts(lines);
    expect([...charts.keys()]).toEqual(['catchup.svg']);
    expect(charts.get('catchup.svg')).toContain('123,456');
    expect(chartSpecs([]).size).toBe(0);
  }, 60_000);
});
