/**
 * With the real tools operators run: a Prometheus server (Debian package
 * `prometheus`) scrapes a host's `/metrics` and PromQL over the scraped
 * series returns what the host recorded; the Alertmanager sink delivers to a
 * real Alertmanager (`prometheus-alertmanager`) whose API then lists the alert.
 * The capacity gauges scrape too, and the default rule `capacity_predicted`
 * written as PromQL selects the resource forecast to reach 70 %.
 * Each server runs on a free loopback port in a temporary directory and is
 * stopped at the end. `.ci/run` installs both packages.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as promClient from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { SyncEngine } from '../../src/engine.js';
import {
  alertmanagerSink,
  createAlerting,
  createMetricsRegistry,
  fromPromClient,
  instrumentEngine,
  libraryMetrics,
  teeMetrics,
  type EngineInstrumentation,
} from '../../src/monitoring/index.js';
import { recordCapacityGauges } from '../../src/commerce/monitoring/capacity-gauges.js';
import { pgliteEngine, type TestDatabase } from '../support/databases.js';
import { freePort, waitForPort } from '../support/free-port.js';
import { waitFor } from '../support/wait.js';
import { setStock, stockEngine } from '../realtime/engine-fixture.js';

const installed = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const required = process.env['REQUIRE_SERVICES'] === '1';
const haveTools = installed('prometheus') && installed('prometheus-alertmanager');
if (required && !haveTools)
  throw new Error('prometheus and prometheus-alertmanager must be installed (see .ci/run)');

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(bin: string, args: string[]): ChildProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`${bin} exited ${code}: ${stderr}`);
  });
  children.push(child);
  return child;
}

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cf-monitoring-'));
  dirs.push(d);
  return d;
};

describe.skipIf(!haveTools)('with a real Prometheus and Alertmanager', () => {
  let db: TestDatabase | undefined;
  let engine: SyncEngine | undefined;
  let monitoring: EngineInstrumentation | undefined;
  let server: Server | undefined;
  afterAll(async () => {
    monitoring?.stop();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    await engine?.close();
    await db?.close();
  });

  it('Prometheus scrapes the host and PromQL counts what it recorded', async () => {
    db = await pgliteEngine.open();
    engine = stockEngine(db.sql, db.schema, null);
    const prom = fromPromClient(promClient);
    monitoring = instrumentEngine(engine, {
      metrics: teeMetrics(createMetricsRegistry(), prom),
      sampleIntervalMs: 0,
    });
    await engine.start();
    for (let i = 0; i < 5; i++) await setStock(engine, 'c1', `sku-${i}`, i);
    await engine.whenCaughtUp();
    // A capacity check's gauges: the database is forecast to reach 70 % in 12 days, the pool is not.
    recordCapacityGauges(monitoring.instruments, {
      checkedAt: new Date().toISOString(),
      samples: [
        { resource: 'database_size', value: 6e9, capacity: 1e10 },
        { resource: 'pool_connections', value: 2, capacity: 10 },
      ],
      skipped: [],
      plans: [
        {
          resource: 'database_size',
          scaleUp: true,
          reachesThresholdOn: '2026-12-16',
          daysToThreshold: 12,
          threshold: 0.7,
          p50Share: 0.75,
          p90Share: 0.8,
          historyDays: 30,
        },
        {
          resource: 'pool_connections',
          scaleUp: false,
          reachesThresholdOn: null,
          daysToThreshold: null,
          threshold: 0.7,
          p50Share: 0.2,
          p90Share: 0.3,
          historyDays: 30,
        },
      ],
    });
    await monitoring.sample();
    server = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      void prom.scrape().then((body) => res.writeHead(200, { 'content-type': prom.contentType }).end(body));
    });
    const hostPort = await freePort();
    await new Promise<void>((r) => server!.listen(hostPort, '127.0.0.1', r));

    const dir = tempDir();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: creatorflow',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${hostPort}']`,
      ].join('\n'),
    );
    const promPort = await freePort();
    start('prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    await waitForPort(promPort, 30_000);
    // Prometheus listens before it is ready and answers 503 until then.
    await untilReady(promPort);
    const query = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { data?: { result: { value: [number, string] }[] } };
      return body.data?.result.map((r) => Number(r.value[1])) ?? [];
    };
    await waitFor(async () => (await query('creatorflow_store_appended_events_total')).length > 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'Prometheus to scrape the host',
    });
    expect(await query('sum(creatorflow_store_appended_events_total)')).toEqual([5]);
    expect(await query('sum(creatorflow_store_append_duration_seconds_count{outcome="ok"})')).toEqual([5]);
    expect(await query('sum(creatorflow_processor_events_total{processor="projection:rt_stock"})')).toEqual([
      5,
    ]);
    expect(await query('creatorflow_up')).toEqual([1]);
    // The default rule capacity_predicted, as PromQL over the scraped gauges: one alert, the database.
    const labelled = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result.map((r) => [r.metric['resource'], r.value[1]]);
    };
    expect(await labelled('max by (resource) (creatorflow_capacity_scale_up) > 0')).toEqual([
      ['database_size', '1'],
    ]);
    expect(await labelled('creatorflow_capacity_days_to_threshold')).toEqual(
      expect.arrayContaining([
        ['database_size', '12'],
        ['pool_connections', '+Inf'],
      ]),
    );
    const [p95] = await query(
      'histogram_quantile(0.95, sum by (le) (creatorflow_store_append_duration_seconds_bucket))',
    );
    expect(p95).toBeGreaterThan(0);
  });

  it('the Alertmanager sink delivers a firing alert and its API lists it', async () => {
    const dir = tempDir();
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(
      config,
      ['route:', '  receiver: blackhole', 'receivers:', '  - name: blackhole'].join('\n'),
    );
    const amPort = await freePort();
    start('prometheus-alertmanager', [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ]);
    await waitForPort(amPort, 30_000);
    await untilReady(amPort);
    const registry = createMetricsRegistry();
    libraryMetrics(registry).up.set(undefined, 0);
    const { createEventStore } = await import('../../src/store/create-event-store.js');
    const store = createEventStore();
    await store.migrate();
    const alerting = createAlerting({
      registry,
      intervalMs: 0,
      rules: [
        {
          name: 'system_down',
          severity: 'critical',
          signal: { kind: 'value', of: { metric: 'creatorflow_up' }, aggregate: 'min' },
          condition: { op: '<', threshold: 1 },
          labels: { component: 'system' },
          annotations: { summary: 'down' },
          channels: ['alertmanager'],
        },
      ],
      route: { receiver: 'ops', groupWaitMs: 0 },
      receivers: {
        ops: {
          timeZone: 'UTC',
          matrix: {
            business_hours: { critical: ['ops'], warning: ['ops'], info: ['ops'] },
            after_hours: { critical: ['ops'], warning: ['ops'], info: ['ops'] },
            weekends: { critical: ['ops'], warning: ['ops'], info: ['ops'] },
          },
          escalateAfterMs: 600_000,
          contacts: { ops: { addresses: { alertmanager: `http://127.0.0.1:${amPort}` } } },
        },
      },
      channels: [alertmanagerSink()],
    });
    await alerting.start({ store });
    const result = await alerting.tick();
    expect(result.notifications).toHaveLength(1);
    const { events } = await store.readStream('monitoring-alerts');
    expect(events.filter((e) => e.type === 'alert.notification_failed')).toHaveLength(0);
    const listed = async () => {
      const res = await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`);
      return (await res.json()) as { labels: Record<string, string>; status: { state: string } }[];
    };
    await waitFor(async () => (await listed()).length > 0, { what: 'Alertmanager to list the alert' });
    const [alert] = await listed();
    expect(alert!.labels).toMatchObject({
      alertname: 'system_down',
      severity: 'critical',
      component: 'system',
    });
    expect(alert!.status.state).toBe('active');
    await store.close();
  });
});

/** Wait for a Prometheus-family server's `/-/ready` to answer 200. */
async function untilReady(port: number): Promise<void> {
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok === true,
    { timeoutMs: 60_000, intervalMs: 200, what: `the server on port ${port} to be ready` },
  );
}
