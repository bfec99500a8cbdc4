import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../src/client/backoff.js';
import { type ConnectionState, connectRealtime } from '../../src/client/realtime-client.js';
import { SseParser } from '../../src/client/sse-parser.js';
import { formatSseFrame } from '../../src/realtime/sse.js';
import type { Envelope } from '../../src/core/envelope.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, jitter only ever shortens it (law)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const options = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.5 };
          const full = Math.min(5000, 100 * 2 ** attempt);
          const d = backoffDelay(attempt, options, () => r);
          expect(d).toBeLessThanOrEqual(full);
          expect(d).toBeGreaterThanOrEqual(Math.floor(full / 2));
        },
      ),
    );
    expect(backoffDelay(3, { initialMs: 100, jitter: 0 })).toBe(800);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe('SseParser', () => {
  const envelopes: Envelope[] = [
    { type: 'reset', channel: 'c', cursor: '1:1', serverTime: 1, rows: [{ a: 'x\ny' }] },
    { type: 'data', channel: 'c', cursor: '1:2', serverTime: 2, deltas: [['UPDATE', { a: 1 }, { b: 2 }]] },
    { type: 'heartbeat', channel: 'c', cursor: '1:2', serverTime: 3 },
  ];
  const stream = `retry: 1000\n\n: comment\n${envelopes.map(formatSseFrame).join('')}`;

  it('yields the same events however the stream is chunked (law)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }),
        (cuts) => {
          const parser = new SseParser();
          const points = [0, ...[...cuts].sort((a, b) => a - b), stream.length];
          const events = points.slice(1).flatMap((end, i) => parser.push(stream.slice(points[i], end)));
          expect(events.map((e) => [e.id, e.event, JSON.parse(e.data) as unknown])).toEqual(
            envelopes.map((e) => [e.cursor, e.type, e]),
          );
        },
      ),
    );
  });

  it('handles CRLF line endings', () => {
    const parser = new SseParser();
    expect(parser.push('id: 7:1\r\nevent: data\r\ndata: {}\r\n\r\n')).toEqual([
      { id: '7:1', event: 'data', data: '{}', retry: null },
    ]);
  });
});

describe('connectRealtime reconnect policy', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function streamOf(...envelopes: Envelope[]): Response {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(envelopes.map(formatSseFrame).join('')));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }

  it('honours Retry-After, resumes with Last-Event-ID, and reports its states', async () => {
    vi.useFakeTimers();
    const calls: { url: string; lastEventId: string | null }[] = [];
    const responses = [
      () =>
        new Response('{"error":{"code":"TOO_MANY_CONNECTIONS"}}', {
          status: 429,
          headers: { 'retry-after': '3' },
        }),
      () =>
        streamOf(
          { type: 'reset', channel: 'm', cursor: '1:5', serverTime: 0, rows: [], keyColumns: ['id'] },
          { type: 'ready', channel: 'm', cursor: '1:5', serverTime: 0 },
          {
            type: 'data',
            channel: 'm',
            cursor: '1:6',
            serverTime: 0,
            deltas: [['INSERT', { id: 1 }, { id: 1, n: 1 }]],
          },
        ),
      () =>
        streamOf(
          // A stale message (already applied) must be dropped, the new one applied.
          {
            type: 'data',
            channel: 'm',
            cursor: '1:6',
            serverTime: 0,
            deltas: [['UPDATE', { id: 1 }, { n: 99 }]],
          },
          {
            type: 'data',
            channel: 'm',
            cursor: '1:7',
            serverTime: 0,
            deltas: [['UPDATE', { id: 1 }, { n: 2 }]],
          },
        ),
      () => new Response('{"error":{"code":"INVALID_FILTER"}}', { status: 400 }),
    ];
    const fetchFake = (async (url: string, init: RequestInit) => {
      calls.push({ url, lastEventId: new Headers(init.headers).get('last-event-id') });
      return responses[calls.length - 1]!();
    }) as unknown as typeof fetch;
    const client = connectRealtime({
      url: 'http://host/rt',
      channel: 'm',
      fetch: fetchFake,
      backoff: { initialMs: 100, jitter: 0 },
    });
    const states: ConnectionState[] = [];
    client.state$.subscribe((s) => states.push(s));
    await vi.advanceTimersByTimeAsync(2999);
    expect(calls).toHaveLength(1); // Retry-After: 3 outweighs the 100 ms backoff
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(4);
    expect(calls[2]!.lastEventId).toBe('1:6');
    expect(new URL(calls[2]!.url).searchParams.get('cursor')).toBe('1:6');
    expect(client.table.rows()).toEqual([{ id: 1, n: 2 }]);
    expect(client.stats.duplicatesDropped).toBe(1);
    expect(states).toEqual([
      'connecting',
      'reconnecting',
      'connected',
      'reconnecting',
      'connected',
      'reconnecting',
      'error',
    ]);
    client.close();
    expect(states.at(-1)).toBe('closed');
  });
});
