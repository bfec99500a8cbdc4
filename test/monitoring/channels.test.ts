import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  NotificationFailedError,
  reliableChannel,
  slackChannel,
  webhookChannel,
  type Notification,
} from '../../src/monitoring/index.js';

const notification = (address: string): Notification => ({
  groupKey: '0|alertname="system_down"',
  groupLabels: { alertname: 'system_down' },
  receiver: 'team',
  severity: 'critical',
  level: 0,
  reason: 'first',
  alerts: [],
  resolvedAlerts: [],
  resolved: false,
  recipient: 'on_call_engineer',
  address,
  text: '[CRITICAL] system_down',
});

describe('notification channels', () => {
  it('retries a failing channel with backoff, then reports the attempts', async () => {
    let calls = 0;
    const flaky = reliableChannel(
      {
        kind: 'sms',
        send: async () => {
          if (++calls < 3) throw new Error('busy');
        },
      },
      { retry: { attempts: 3, minTimeoutMs: 1, jitter: false } },
    );
    await flaky.send(notification('+49'));
    expect(calls).toBe(3);
    const broken = reliableChannel(
      { kind: 'sms', send: () => Promise.reject(new Error('down')) },
      { retry: { attempts: 2, minTimeoutMs: 1, jitter: false } },
    );
    const err = await broken.send(notification('+49')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationFailedError);
    expect(err).toMatchObject({ code: 'NOTIFICATION_FAILED', channel: 'sms', attempts: 2 });
  });

  it('rate-limits with a token bucket that refills over time', async () => {
    let clock = 0;
    let sent = 0;
    const sms = reliableChannel(
      { kind: 'sms', send: async () => void sent++ },
      { rate: { messages: 2, perMs: 60_000 }, now: () => clock },
    );
    await sms.send(notification('a'));
    await sms.send(notification('b'));
    await expect(sms.send(notification('c'))).rejects.toMatchObject({ attempts: 0, message: /rate limit/ });
    clock += 30_000; // half the period: one token back
    await sms.send(notification('d'));
    expect(sent).toBe(3);
  });

  it('posts JSON to a webhook and to Slack, and a non-2xx answer is a failure', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.writeHead(req.url === '/fail' ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await webhookChannel().send(notification(`http://127.0.0.1:${port}/hook`));
      await slackChannel().send(notification(`http://127.0.0.1:${port}/slack`));
      await expect(webhookChannel().send(notification(`http://127.0.0.1:${port}/fail`))).rejects.toThrow(
        /answered 500/,
      );
      expect(bodies[0]).toMatchObject({
        status: 'firing',
        severity: 'critical',
        recipient: 'on_call_engineer',
        text: '[CRITICAL] system_down',
      });
      expect(bodies[1]).toMatchObject({ text: '[CRITICAL] system_down' });
    } finally {
      server.close();
    }
  });
});
