/**
 * End to end: the dashboard's forecast panel in headless Chromium. The host
 * imports the demo's year of daily sales into the log, the analytics updater
 * forecasts every product, and the page draws, from the realtime channels
 * only, a chart per product: the history, the median, the 10–90 % band and
 * the predicted stock-out, with the reorder suggestion and the weekly
 * adjustment under it; above them, the live-accuracy figure ("not enough
 * scored forecasts yet" at first; once forecasts kept by runs as of 45 and
 * 31 days ago are scored, the within-20 % share and the interval coverage
 * against their targets, the same figures as the host's /metrics gauges). Takes
 * docs/forecast-chart.png with UPDATE_SCREENSHOT=1.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startExpressHost } from '../../examples/express-host/app.js';
import type { RunningHost } from '../../examples/shared/running-host.js';
import { CATALOG, VIRAL_PRODUCT_ID } from '../../examples/simulator/catalog.js';
import { startSimulator, type Simulator } from '../../examples/simulator/simulator.js';
import { dropPostgresSchema, postgresUrl, uniqueSchema } from '../support/databases.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1'
    ? fileURLToPath(new URL('../../docs/forecast-chart.png', import.meta.url))
    : join(tmpdir(), 'creatorflow-forecast-chart.png');

if (process.env.REQUIRE_SERVICES === '1' && !existsSync(CHROMIUM)) {
  throw new Error(`REQUIRE_SERVICES=1 but ${CHROMIUM} is missing: apt-get install -y chromium`);
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard forecast panel', () => {
  let sim: Simulator;
  let running: RunningHost;
  let browser: Browser;
  const databaseUrl = postgresUrl() ?? undefined;
  const schema = uniqueSchema('e2efc');

  beforeAll(async () => {
    // The mock Open API only (the poller reads stock from it); no order traffic.
    sim = await startSimulator({ url: 'http://localhost', autoStart: false, seed: 16, stockCounts: false });
    running = await startExpressHost({
      ...(databaseUrl ? { databaseUrl, schema } : {}),
      port: 0,
      hostname: '127.0.0.1',
      tiktokApiUrl: sim.apiUrl,
      thresholds: Object.fromEntries(CATALOG.map((p) => [p.sellerSku, p.threshold])),
      salesHistory: {
        products: CATALOG.map((p) => ({
          productId: p.id,
          weight: p.weight,
          viral: p.id === VIRAL_PRODUCT_ID,
        })),
      },
      analyticsEveryMs: 3_600_000,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
    await running?.close();
    if (databaseUrl) await dropPostgresSchema(schema);
  }, 60_000);

  it('draws history, median, band and stock-out per product, with the reorder suggestion', async () => {
    const { commerce } = running.host;
    // Stock levels come from the poller; forecast once every product has one.
    await vi.waitFor(
      async () =>
        expect(await commerce.readModels.unscopedRows('inventory_levels')).toHaveLength(CATALOG.length),
      { timeout: 60_000, interval: 250 },
    );
    await commerce.whenIdle(60_000);
    const run = await commerce.analytics!.runOnce();
    expect(run.products).toBe(CATALOG.length);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${running.url}/?throttle=0`);
    const viral = page.locator(`#forecast-charts figure.forecast[data-product="${VIRAL_PRODUCT_ID}"]`);
    await vi.waitFor(
      async () => {
        expect(await page.locator('#forecast-charts figure.forecast').count()).toBe(CATALOG.length);
        // The history reached the chart: a line with a point per day.
        const history = await viral.locator('svg polyline.history').getAttribute('points');
        const ys = (history ?? '').split(' ').map((p) => Number(p.split(',')[1]));
        expect(ys).toHaveLength(42);
        expect(Math.min(...ys)).toBeLessThan(Math.max(...ys)); // sales drawn, not a flat zero line
      },
      { timeout: 30_000, interval: 250 },
    );
    // A band with a point per forecast day above and below, a median, a stock-out marker.
    const band = await viral.locator('svg polygon.band').getAttribute('points');
    expect(band?.split(' ').length).toBe(60);
    expect(await viral.locator('svg polyline.median').count()).toBe(1);
    const trend = (await commerce.readModels.unscopedRows('product_trend_analysis')).find(
      (r) => r.product_id === VIRAL_PRODUCT_ID,
    )!;
    expect(trend.stockout_median_date, JSON.stringify({ ...trend, forecast: undefined })).not.toBeNull();
    await expect
      .poll(() => viral.locator('svg line.stockout').getAttribute('data-date'))
      .toBe(trend.stockout_median_date);
    expect(await viral.locator('svg .stockout-label').textContent()).toMatch(/^out ~\w{3} \d{1,2} \w{3}$/);
    // The band is ordered: p10 under p90 on every day (SVG y grows downwards).
    const ys = band!.split(' ').map((p) => Number(p.split(',')[1]));
    const upper = ys.slice(0, 30);
    const lower = ys.slice(30).reverse();
    upper.forEach((u, i) => expect(u).toBeLessThanOrEqual(lower[i]!));
    // The reorder suggestion in words, with a weekday, and the weekly adjustment.
    expect(await viral.locator('p.reorder').textContent()).toMatch(
      /^reorder \d+ units (now \(lead time \d+ days?\): .+|by \w{3} \d{1,2} \w{3} \(lead time \d+ days?\) to keep a 95 % chance of not stocking out)(; seasonal adjustment [+−]\d+ units over the \d+ days covered)?$/,
    );
    // A product with time to spare gets a date to order by, as a weekday.
    const reorders = await page.locator('#forecast-charts p.reorder').allTextContents();
    expect(
      reorders.some((r) =>
        /^reorder \d+ units by \w{3} \d{1,2} \w{3} \(lead time \d+ days?\) to keep a 95 %/.test(r),
      ),
    ).toBe(true);
    expect(await viral.locator('p.seasonal').textContent()).toMatch(/Seasonal adjustment [+−]\d+ units/);

    // Live accuracy: nothing scored yet (every kept forecast's 30 days are still ahead).
    const accuracy = page.locator('#forecast-accuracy figure.forecast-accuracy');
    await expect.poll(() => accuracy.getAttribute('data-scored')).toBe('0');
    expect(await accuracy.textContent()).toMatch(/not enough scored forecasts yet/);
    // Two runs as of 45 and 31 days ago keep forecasts whose 30 days have passed: the run now scores them.
    const creatorId = String(trend.creator_id);
    for (const daysAgo of [45, 31]) {
      await commerce.analytics!.runOnce({ asOf: new Date(Date.now() - daysAgo * 86_400_000) });
    }
    const scored = await commerce.analytics!.runOnce();
    const figures = scored.accuracyByCreator[creatorId]!;
    // Every product kept two forecasts that are scored now.
    expect(figures.scored).toBe(2 * CATALOG.length);
    const scoredCount = String(figures.scored);
    await expect.poll(() => accuracy.getAttribute('data-scored'), { timeout: 30_000 }).toBe(scoredCount);
    expect(await accuracy.getAttribute('data-within')).toBe(figures.within20Pct!.toFixed(3));
    expect(await accuracy.getAttribute('data-coverage')).toBe(figures.coverage80!.toFixed(3));
    expect(await accuracy.locator('figcaption').textContent()).toMatch(
      new RegExp(`^Live accuracy of ${scoredCount} scored forecasts`),
    );
    // Both bars drawn against their targets.
    expect(await accuracy.locator('svg rect.acc-value').count()).toBe(2);
    expect(await accuracy.locator('svg line.acc-target').first().getAttribute('data-target')).toBe('0.85');
    // The same figures on the host's /metrics.
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}\\{creator="${creatorId}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(gauge('creatorflow_forecast_within_20pct_ratio')).toBeCloseTo(figures.within20Pct!, 12);
    expect(gauge('creatorflow_forecast_coverage_80_ratio')).toBeCloseTo(figures.coverage80!, 12);
    expect(gauge('creatorflow_forecasts_scored')).toBe(figures.scored);

    await page.locator('[data-testid="forecasts"]').screenshot({ path: SCREENSHOT });
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 180_000);
});
