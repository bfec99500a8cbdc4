/**
 * One place for lease defaults: processors and the saga runner take the same
 * ttl, heartbeat and owner id from the runtime kernel (`src/runtime/lease-*.ts`).
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TTL_MS, defaultLeaseOwner, resolveLeaseTiming } from '../../src/runtime/index.js';
import { resolveProcessorOptions } from '../../src/processing/processor-options.js';
import { resolveRunnerOptions } from '../../src/sagas/runner-options.js';
import { createEventStore } from '../../src/store/create-event-store.js';

describe('lease defaults', () => {
  it('a 6 s lease renewed every 2 s, tried by standbys every 1.5 s, fenced 4 s after the last renewal', () => {
    expect(DEFAULT_LEASE_TTL_MS).toBe(6000);
    expect(resolveLeaseTiming()).toEqual({
      ttlMs: 6000,
      renewIntervalMs: 2000,
      acquireIntervalMs: 1500,
      selfFenceAfterMs: 4000,
    });
    expect(resolveLeaseTiming({ ttlMs: 900 })).toEqual({
      ttlMs: 900,
      renewIntervalMs: 300,
      acquireIntervalMs: 225,
      selfFenceAfterMs: 600,
    });
  });

  it('refuses a heartbeat that is not shorter than the ttl', () => {
    expect(() => resolveLeaseTiming({ ttlMs: 1000, renewIntervalMs: 1000 })).toThrow(/shorter than its ttl/);
    expect(() => resolveRunnerOptions({ leaseMs: 200, heartbeatMs: 600_000 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() =>
      resolveProcessorOptions({
        store: createEventStore(),
        name: 'p',
        handle: () => undefined,
        lease: { ttlMs: 100, renewIntervalMs: 200 },
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('processors and the saga runner use the same defaults', () => {
    const processor = resolveProcessorOptions({
      store: createEventStore(),
      name: 'p',
      handle: () => undefined,
    });
    const runner = resolveRunnerOptions({});
    expect(processor.lease).toEqual({ ...resolveLeaseTiming(), owner: undefined });
    expect([runner.leaseMs, runner.heartbeatMs, runner.selfFenceAfterMs]).toEqual([6000, 2000, 4000]);
  });

  it('owner ids name the host and process and differ per call', () => {
    const prefix = `${hostname()}:${process.pid}:`;
    const a = defaultLeaseOwner();
    expect(a.startsWith(prefix)).toBe(true);
    expect(a).not.toBe(defaultLeaseOwner());
    expect(resolveRunnerOptions({}).workerId.startsWith(prefix)).toBe(true);
  });
});
