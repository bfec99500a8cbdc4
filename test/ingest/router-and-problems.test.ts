import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  AppendOutcomeUnknownError,
  ConcurrencyError,
  DuplicateEventIdError,
  IdempotencyKeyReusedError,
  StoreUnavailableError,
  ValidationError,
} from '../../src/core/errors.js';
import { nodeAdapter } from '../../src/http/node.js';
import { errorToProblem } from '../../src/http/problem.js';
import { createRouter } from '../../src/http/router.js';
import type { HttpRequest } from '../../src/http/types.js';

const req = (method: string, path: string): HttpRequest => ({
  method,
  path,
  headers: {},
  rawBody: Buffer.alloc(0),
  params: {},
});

describe('router', () => {
  const router = createRouter([
    {
      method: 'POST',
      path: '/api/webhooks/shipping/:provider',
      handler: async (r) => ({ status: 200, headers: {}, body: JSON.stringify(r.params) }),
    },
  ]);

  it('matches parameters (decoded) and ignores the query string', async () => {
    const res = await router(req('post', '/api/webhooks/shipping/ship%20hero?x=1'));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ provider: 'ship hero' });
  });

  it('answers 405 with Allow for another method and 404 for another path', async () => {
    const wrongMethod = await router(req('GET', '/api/webhooks/shipping/shippo'));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    expect(JSON.parse(wrongMethod.body).code).toBe('METHOD_NOT_ALLOWED');
    const unknown = await router(req('POST', '/api/webhooks/shipping/shippo/extra'));
    expect(unknown.status).toBe(404);
    const badEscape = await router(req('POST', '/api/webhooks/shipping/%E0%A4%A'));
    expect(badEscape.status).toBe(404);
  });
});

describe('errorToProblem', () => {
  it('maps validation errors to 422 with their own code and issues', () => {
    const res = errorToProblem(new ValidationError('bad', [{ path: 'data.x', message: 'Required' }]));
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body)).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'data.x', message: 'Required' }],
    });
  });

  it('asks the sender to retry when the database could not answer, without leaking the error', () => {
    const cases = [
      new AppendOutcomeUnknownError('order-1', ['7d0c1a3e-0000-4000-8000-000000000001'], new Error('x')),
      new StoreUnavailableError('The database is unreachable; nothing was written', new Error('x')),
      Object.assign(new Error('terminating connection due to administrator command at db.internal'), {
        code: '57P01',
      }),
      new Error('Connection terminated unexpectedly'),
    ];
    for (const err of cases) {
      const res = errorToProblem(err);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).not.toContain('db.internal');
    }
    expect(JSON.parse(errorToProblem(cases[2]).body).code).toBe('DATABASE_UNAVAILABLE');
  });

  it('asks the sender to retry a request the database rolled back for its own reasons', () => {
    for (const code of ['40P01', '40001', '55P03', '57014']) {
      const res = errorToProblem(Object.assign(new Error(`rolled back at db.internal (${code})`), { code }));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(JSON.parse(res.body).code).toBe('DATABASE_BUSY');
      expect(res.body).not.toContain('db.internal');
    }
    // A statement the server refused for what it asked stays a 500.
    expect(errorToProblem(Object.assign(new Error('division by zero'), { code: '22012' })).status).toBe(500);
  });

  it('maps what contradicts the stored log to 409', () => {
    for (const err of [
      new IdempotencyKeyReusedError('k', 'b', 'a'),
      new DuplicateEventIdError('b', 'a'),
      new ConcurrencyError('s', 1, 2),
    ]) {
      const res = errorToProblem(err);
      expect(res.status).toBe(409);
      expect(JSON.parse(res.body).code).toBe(err.code);
    }
  });

  it('does not leak the message of unexpected errors', () => {
    const res = errorToProblem(new Error('password=hunter2 at db.internal'));
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(JSON.parse(res.body).code).toBe('INTERNAL_ERROR');
  });
});

describe('node adapter', () => {
  it('settles when the client disconnects mid-body, and keeps serving', async () => {
    let calls = 0;
    const server = http.createServer(
      nodeAdapter(async () => {
        calls++;
        return { status: 200, headers: {}, body: 'ok' };
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"partial":');
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
      });
      const res = await fetch(`http://127.0.0.1:${port}/y`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(200);
      // The aborted request never reached the handler.
      expect(calls).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
