import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressAdapter } from '../../src/http/express.js';
import { nodeAdapter } from '../../src/http/node.js';
import type { HttpHandler, HttpRequest } from '../../src/http/types.js';

const servers: http.Server[] = [];

async function listen(listener: http.RequestListener): Promise<number> {
  const server = http.createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

/** Sends `parts` as separate TCP writes, 20 ms apart, and returns the raw response text. */
function postInParts(port: number, parts: readonly Buffer[]): Promise<string> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n`,
      );
      let i = 0;
      const next = () => {
        if (i === parts.length) return;
        socket.write(parts[i++]!);
        setTimeout(next, 20);
      };
      next();
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('raw body and response writing', () => {
  // "é" and "€" are split across the TCP writes: only a byte-exact join keeps them.
  const body = Buffer.from('{"name":"café","price":"12€","pad":"' + 'x'.repeat(3000) + '"}');
  const parts = [body.subarray(0, 14), body.subarray(14, 30), body.subarray(30)];
  let seen: HttpRequest | undefined;
  const echo: HttpHandler = async (req) => {
    seen = req;
    return {
      status: 201,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-echo': 'yes' },
      body: req.rawBody.toString('utf8'),
    };
  };

  it('joins a body sent in several writes byte for byte (node adapter)', async () => {
    const port = await listen(nodeAdapter(echo));
    const text = await postInParts(port, parts);
    expect(seen?.rawBody.equals(body)).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 201 /);
    expect(text.toLowerCase()).toContain('x-echo: yes');
    expect(text.toLowerCase()).toContain(`content-length: ${body.length}\r\n`);
    expect(text.endsWith(body.toString('utf8'))).toBe(true);
  });

  it('keeps headers Express set before the adapter and counts UTF-8 bytes in content-length', async () => {
    const app = express(); // x-powered-by stays on: a header set before the adapter writes
    app.post('/echo', expressAdapter(echo));
    const port = await listen(app);
    const res = await fetch(`http://127.0.0.1:${port}/echo?q=1`, {
      method: 'POST',
      body: new Uint8Array(body),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-powered-by')).toBe('Express');
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(res.headers.get('content-length')).toBe(String(body.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect(seen?.path).toBe('/echo');
  });

  it('answers an empty body with an empty buffer', async () => {
    const port = await listen(nodeAdapter(echo));
    const res = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(seen?.rawBody.length).toBe(0);
    expect(res.headers.get('content-length')).toBe('0');
  });
});
