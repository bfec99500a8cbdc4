/**
 * Per-browser anonymous identities (signed cookies) and credential-free log
 * lines.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { BROWSER_COOKIE, BrowserIdentities, cookieValue } from '../../examples/shared/browser-identity.js';
import { createHostLog, hostLogger, redactUrl } from '../../examples/shared/host-log.js';
import { logInternalError } from '../../src/http/problem.js';

const SECRET = 'a-test-session-secret-of-enough-length';
const request = (cookie?: string) => ({ headers: cookie ? { cookie } : {} }) as IncomingMessage;
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

describe('BrowserIdentities', () => {
  it('accepts the cookie it minted, on any host sharing the secret', () => {
    const { id, setCookie } = new BrowserIdentities(SECRET).mint();
    expect(setCookie).toMatch(new RegExp(`^${BROWSER_COOKIE}=`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(new BrowserIdentities(SECRET).read(request(cookieOf(setCookie)))).toBe(id);
  });

  it('gives every browser its own id', () => {
    const ids = new BrowserIdentities(SECRET);
    const minted = new Set(Array.from({ length: 100 }, () => ids.mint().id));
    expect(minted.size).toBe(100);
  });

  it('refuses a forged, tampered or foreign cookie', () => {
    const ids = new BrowserIdentities(SECRET);
    const { id, setCookie } = ids.mint();
    const value = cookieOf(setCookie).slice(BROWSER_COOKIE.length + 1);
    const [, signature] = value.split('.');
    expect(ids.read(request(`${BROWSER_COOKIE}=someone-else.${signature}`))).toBeUndefined();
    expect(ids.read(request(`${BROWSER_COOKIE}=${id}.${'A'.repeat(signature!.length)}`))).toBeUndefined();
    expect(ids.read(request(`${BROWSER_COOKIE}=${id}`))).toBeUndefined();
    expect(new BrowserIdentities(`${SECRET}-other`).read(request(cookieOf(setCookie)))).toBeUndefined();
  });

  it('mints once per request without a cookie and remembers it for that request', () => {
    const ids = new BrowserIdentities(SECRET);
    const req = request();
    const setCookie = ids.ensure(req);
    expect(setCookie).toBeDefined();
    const id = ids.read(req);
    expect(id).toBeDefined();
    expect(ids.ensure(req)).toBeUndefined();
    expect(ids.read(request(cookieOf(setCookie!)))).toBe(id);
  });

  it('reads one cookie among others', () => {
    expect(cookieValue('a=1; cf_browser=x.y; b=2', 'cf_browser')).toBe('x.y');
    expect(cookieValue('a=1', 'cf_browser')).toBeUndefined();
    expect(cookieValue(undefined, 'cf_browser')).toBeUndefined();
  });
});

describe('host log', () => {
  it('never writes a token from a query string', () => {
    expect(redactUrl('/realtime/ws?channel=order_metrics&token=s3cret&throttle=0')).toBe(
      '/realtime/ws?channel=order_metrics&token=[redacted]&throttle=0',
    );
    expect(redactUrl('/x?access_token=a&TOKEN=b&sign=c')).toBe(
      '/x?access_token=[redacted]&TOKEN=[redacted]&sign=[redacted]',
    );
    expect(redactUrl('/healthz')).toBe('/healthz');
  });

  it('prefixes every line with the host id', () => {
    const lines: string[] = [];
    createHostLog('web-7', (l) => lines.push(l)).warn('redis: down');
    expect(lines[0]).toMatch(/^\S+ \[web-7\] warn redis: down$/);
  });

  it("carries the library's records with the error a 500 hid and its causes", () => {
    const lines: string[] = [];
    const logger = hostLogger(createHostLog('web-7', (l) => lines.push(l)));
    const cause = Object.assign(new Error('append attempt fenced'), { code: '40001' });
    logInternalError(
      logger,
      'webhook:tiktok',
      { method: 'POST', path: '/api/webhooks/tiktok' },
      new Error('boom', { cause }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\S+ \[web-7\] error \[webhook:tiktok\] request answered 500: Error: boom <- caused by: 40001 Error: append attempt fenced \{"method":"POST","path":"\/api\/webhooks\/tiktok"\}$/,
    );
  });
});
