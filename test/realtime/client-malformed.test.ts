/**
 * A server message the client cannot apply (deltas that are not
 * `[op, key, fields]` tuples, rows that are not objects, a cursor that is not
 * a string) never moves the client's resume position: it resumes from the
 * last message it applied. Before, the cursor moved first and applying
 * threw, so the message's changes were lost for good (SSE reconnected past
 * it; WebSocket took the next message's cursor).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectRealtime } from '../../src/client/realtime-client.js';
import { connectMultiplexed } from '../../src/client/multiplex-client.js';
import { decodeEnvelope, type Envelope } from '../../src/core/envelope.js';
import { formatSseFrame } from '../../src/realtime/sse.js';

const reset = { type: 'reset', channel: 'm', cursor: '1:5', serverTime: 0, rows: [], keyColumns: ['id'] };
const ready = { type: 'ready', channel: 'm', cursor: '1:5', serverTime: 0 };
const insert = (cursor: string, id: number) => ({
  type: 'data',
  channel: 'm',
  cursor,
  serverTime: 0,
  deltas: [['INSERT', { id }, { id, n: id }]],
});
const broken = { type: 'data', channel: 'm', cursor: '1:6', serverTime: 0, deltas: [null] };

describe('decodeEnvelope', () => {
  it('refuses what a client could not apply, with INVALID_ARGUMENT', () => {
    for (const bad of [
      broken,
      { ...insert('1:6', 1), deltas: [['UPSERT', { id: 1 }, {}]] },
      { ...insert('1:6', 1), deltas: [['INSERT', null, {}]] },
      { ...insert('1:6', 1), deltas: [['INSERT', { id: 1 }, 'x']] },
      { ...insert('1:6', 1), deltas: 'nope' },
      { ...insert('1:6', 1), cursor: 6 },
      { ...reset, rows: [1] },
      { ...reset, keyColumns: [1] },
    ]) {
      expect(() => decodeEnvelope(JSON.stringify(bad)), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() => decodeEnvelope('{not json')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(decodeEnvelope(JSON.stringify(insert('1:6', 1)))).toEqual(insert('1:6', 1));
    const deleted = { ...insert('1:6', 1), deltas: [['DELETE', { id: 1 }, null]] };
    expect(decodeEnvelope(JSON.stringify(deleted))).toEqual(deleted);
    expect(decodeEnvelope(JSON.stringify(reset))).toEqual(reset);
  });
});

/** Reconnect after 100 ms, no jitter. */
const QUICK = { backoff: { initialMs: 100, jitter: 0 } };

/** A WebSocket the test drives: `deliver` hands it server frames, `sent` keeps the client's. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  sent: Record<string, unknown>[] = [];
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
  deliver(extra: object, ...envelopes: object[]): void {
    for (const envelope of envelopes) this.onmessage?.({ data: JSON.stringify({ ...envelope, ...extra }) });
  }
}

describe('a message the client cannot apply', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('over SSE: the client resumes from the last message it applied', async () => {
    vi.useFakeTimers();
    const lastEventIds: (string | null)[] = [];
    const streams = [
      [reset, ready, broken],
      [insert('1:6', 1), insert('1:7', 2)],
    ];
    const fetchFake = (async (_url: string, init: RequestInit) => {
      lastEventIds.push(new Headers(init.headers).get('last-event-id'));
      const frames = (streams[lastEventIds.length - 1] ?? []) as unknown as Envelope[];
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(frames.map(formatSseFrame).join('')));
          if (lastEventIds.length <= streams.length) controller.close();
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as unknown as typeof fetch;
    const client = connectRealtime({ ...QUICK, url: 'http://host/rt', channel: 'm', fetch: fetchFake });
    await vi.advanceTimersByTimeAsync(1000);
    expect(lastEventIds.slice(0, 2)).toEqual([null, '1:5']);
    expect(client.table.rows()).toEqual([
      { id: 1, n: 1 },
      { id: 2, n: 2 },
    ]);
    client.close();
  });

  it('over WebSocket: the socket is closed and the client resumes from the last message it applied', async () => {
    vi.useFakeTimers();
    FakeSocket.made = [];
    const sockets = FakeSocket.made;
    const client = connectRealtime({ ...QUICK, url: 'ws://host/rt', channel: 'm', WebSocket: FakeSocket });
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]!.onopen?.({});
    // The server keeps talking after the broken message: 1:7 must not be taken either.
    sockets[0]!.deliver({}, reset, ready, broken, insert('1:7', 2));
    expect(client.cursor).toBe('1:5');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets[0]!.closed).toBe(true);
    expect(sockets).toHaveLength(2);
    expect(new URL(sockets[1]!.url).searchParams.get('cursor')).toBe('1:5');
    sockets[1]!.onopen?.({});
    sockets[1]!.deliver({}, insert('1:6', 1), insert('1:7', 2));
    expect(client.table.rows()).toEqual([
      { id: 1, n: 1 },
      { id: 2, n: 2 },
    ]);
    expect(client.cursor).toBe('1:7');
    client.close();
  });
});

describe('a message the multiplexed client cannot apply', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('over WebSocket: every subscription resumes from the last message it applied', async () => {
    vi.useFakeTimers();
    FakeSocket.made = [];
    const sockets = FakeSocket.made;
    const connection = connectMultiplexed({ ...QUICK, url: 'ws://host/rt', WebSocket: FakeSocket });
    const live = connection.subscribe({ channel: 'm' });
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]!.onopen?.({});
    sockets[0]!.deliver({ sub: live.id }, reset, ready, broken, insert('1:7', 2));
    expect(live.cursor).toBe('1:5');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets[0]!.closed).toBe(true);
    expect(sockets).toHaveLength(2);
    sockets[1]!.onopen?.({});
    expect(sockets[1]!.sent).toEqual([
      expect.objectContaining({ type: 'subscribe', sub: live.id, cursor: '1:5' }),
    ]);
    sockets[1]!.deliver({ sub: live.id }, insert('1:6', 1), insert('1:7', 2));
    expect(live.table.rows()).toEqual([
      { id: 1, n: 1 },
      { id: 2, n: 2 },
    ]);
    connection.close();
  });
});
