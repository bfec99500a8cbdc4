import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { ChannelLog } from '../../src/realtime/channel-log.js';
import { COMMERCE_CHANNELS } from '../../src/commerce/channels.js';
import { defineChannels } from '../../src/realtime/channels.js';
import type { ChangeBatch } from '../../src/realtime/fold.js';
import { parseSubscriptionRequest } from '../../src/realtime/request-params.js';
import { SubscriberIndex } from '../../src/realtime/subscriber-index.js';

const batch = (cursor: string, n = 1): ChangeBatch => ({
  channel: 't',
  cursor,
  changes: Array(n).fill(null),
});

describe('defineChannels', () => {
  it('has the specified default throttles', () => {
    const channels = defineChannels(COMMERCE_CHANNELS);
    expect(Object.fromEntries([...channels.values()].map((c) => [c.name, c.throttleMs]))).toEqual({
      system_health_metrics: 1000,
      order_metrics: 5000,
      inventory_alerts: 1000,
      sync_operations: 2000,
      daily_revenue_metrics: 1000,
      product_trend_analysis: 1000,
      creator_performance_analytics: 1000,
      business_intelligence_insights: 1000,
    });
    expect(channels.get('inventory_alerts')!.filterableColumns).toContain('creator_id');
  });

  it('rejects identifiers that are not plain SQL names', () => {
    expect(() =>
      defineChannels([
        {
          name: 'x"; drop',
          keyColumns: ['id'],
          tenantColumn: 'creator_id',
          filterableColumns: [],
          throttleMs: 0,
        },
      ]),
    ).toThrow(ValidationError);
  });
});

describe('ChannelLog', () => {
  it('replays what follows a cursor and forgets the oldest past its bounds', () => {
    const log = new ChannelLog({ maxBatches: 3, maxChanges: 100 });
    for (const c of ['1:1', '1:2', '1:3', '1:4']) expect(log.append(batch(c))).toBe(true);
    expect(log.append(batch('1:4'))).toBe(false); // duplicate delivery
    expect(log.append(batch('1:3'))).toBe(false);
    expect(log.floor).toBe('1:1');
    expect(log.covers('1:1')).toBe(true);
    expect(log.covers('0:9')).toBe(false);
    expect(log.covers('garbage')).toBe(false);
    expect(log.since('1:2').map((b) => b.cursor)).toEqual(['1:3', '1:4']);
  });

  it('bounds the number of changes held, not just batches', () => {
    const log = new ChannelLog({ maxBatches: 100, maxChanges: 10 });
    for (let i = 1; i <= 5; i++) log.append(batch(`1:${i}`, 4));
    expect(log.size).toBe(2);
    expect(log.floor).toBe('1:3');
  });

  it('covers resumes from a snapshot position taken before anything was evicted', () => {
    const log = new ChannelLog();
    expect(log.covers('1:5')).toBe(false);
    log.noteSnapshot('1:5');
    log.append(batch('1:9'));
    expect(log.covers('1:5')).toBe(true);
    expect(log.covers('1:4')).toBe(false);
  });
});

describe('SubscriberIndex', () => {
  it('visits only the subscribers filed under the values a change carries', () => {
    const index = new SubscriberIndex<string>();
    for (let i = 0; i < 1000; i++) index.add(`s${i}`, { column: 'creator_id', values: [`c${i}`] });
    index.add('sku-watcher', { column: 'sku', values: ['A', 'B'] });
    expect([...index.candidates({ creator_id: 'c7', sku: 'Z' }, null)]).toEqual(['s7']);
    expect(new Set(index.candidates({ creator_id: 'c1', sku: 'Z' }, { creator_id: 'c2', sku: 'A' }))).toEqual(
      new Set(['s1', 's2', 'sku-watcher']),
    );
    index.remove('s7');
    expect([...index.candidates({ creator_id: 'c7' }, null)]).toEqual([]);
    expect(index.size).toBe(1000);
  });
});

describe('parseSubscriptionRequest', () => {
  it('reads the query and lets Last-Event-ID win over ?cursor', () => {
    const url = new URL(
      'http://h/rt?channel=order_metrics&filter=a=eq.1&events=insert,UPDATE&throttle=250&cursor=1:2',
    );
    expect(parseSubscriptionRequest(url, '3:4')).toEqual({
      channel: 'order_metrics',
      filter: 'a=eq.1',
      events: ['INSERT', 'UPDATE'],
      throttleMs: 250,
      cursor: '3:4',
    });
    expect(parseSubscriptionRequest(url).cursor).toBe('1:2');
  });

  it('rejects malformed parameters with a validation error', () => {
    expect(() => parseSubscriptionRequest(new URL('http://h/rt'))).toThrow(ValidationError);
    expect(() => parseSubscriptionRequest(new URL('http://h/rt?channel=a&events=TRUNCATE'))).toThrow(
      ValidationError,
    );
    expect(() => parseSubscriptionRequest(new URL('http://h/rt?channel=a&throttle=-1'))).toThrow(
      ValidationError,
    );
  });
});
