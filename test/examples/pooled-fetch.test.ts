/**
 * The hosts' pooled fetch answers like the global fetch: status, headers and
 * body; a refused connection and a broken exchange fail as fetch's network
 * errors do (so the clients' retry rules hold); an abort rejects with the
 * caller's reason.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/runtime/index.js';
import { pooledFetch } from '../../examples/shared/pooled-fetch.js';

describe('pooledFetch', () => {
  let server: Server;
  let base: string;
  const pooled = pooledFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/empty') {
          res.writeHead(204).end();
        } else if (req.url === '/hang') {
          // Never answers: the caller's signal ends it.
        } else if (req.url === '/drop') {
          req.socket.destroy();
        } else {
          res.setHeader('set-cookie', ['a=1', 'b=2']);
          res.writeHead(201, { 'content-type': 'application/json', 'x-echo': req.headers['x-key'] ?? '' });
          res.end(JSON.stringify({ method: req.method, body }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers with the status, headers and body the global fetch gives', async () => {
    const init = { method: 'POST', headers: { 'x-key': 'k-1' }, body: '{"n":1}' };
    const [ours, theirs] = await Promise.all([pooled(`${base}/echo`, init), fetch(`${base}/echo`, init)]);
    expect(ours.status).toBe(201);
    expect(ours.ok).toBe(true);
    expect(ours.headers.get('x-echo')).toBe('k-1');
    expect(ours.headers.getSetCookie()).toEqual(theirs.headers.getSetCookie());
    expect(await ours.json()).toEqual(await theirs.json());
    const empty = await pooled(new URL(`${base}/empty`), { headers: new Headers({ a: 'b' }) });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('fails like fetch: refused is not sent, a dropped exchange is unknown, an abort is the caller’s reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await pooled(`http://127.0.0.1:${port}/`).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TypeError);
    expect(classifyFailure(refused)).toBe('not_sent');
    const dropped = await pooled(`${base}/drop`, { method: 'POST', body: 'x' }).catch((err: unknown) => err);
    expect(dropped).toBeInstanceOf(TypeError);
    expect(classifyFailure(dropped)).toBe('unknown');
    const controller = new AbortController();
    const pending = pooled(`${base}/hang`, { signal: controller.signal });
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
