/**
 * The adaptive admission limit, driven by hand: a fake clock and injected
 * signals (processor lag, event-loop delay), no timers.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { AdmissionControl, type AdmissionOptions } from '../../src/ingest/admission-control.js';
import { nextAdmissionRate } from '../../src/ingest/admission-rate.js';

const SETTINGS = { targetLagMs: 1000, targetEventLoopDelayMs: 200, minPerS: 5, maxPerS: 10_000 };

function controlled(options: AdmissionOptions = {}) {
  let t = 0;
  const control = new AdmissionControl({ now: () => t, ...options });
  const advance = (ms: number) => {
    t += ms;
  };
  /** Offer `perS` webhooks/s for `ms` (evenly), each released at once; count the admitted. */
  const offer = (perS: number, ms: number) => {
    let admitted = 0;
    const step = 1000 / perS;
    for (let at = 0; at < ms; at += step) {
      advance(step);
      const ticket = control.admit();
      if (ticket.admitted) {
        admitted++;
        ticket.release();
      }
    }
    return admitted;
  };
  return { control, advance, offer };
}

describe('nextAdmissionRate', () => {
  it('cuts from what got in, by target / observed, at most in half and at least by 10 %', () => {
    expect(
      nextAdmissionRate(10_000, { lagMs: 4000, eventLoopDelayMs: 0, admittedPerS: 400 }, SETTINGS),
    ).toEqual({ perS: 200, over: 'pipeline_lag' });
    expect(nextAdmissionRate(100, { lagMs: 1050, eventLoopDelayMs: 0, admittedPerS: 100 }, SETTINGS)).toEqual(
      {
        perS: 90,
        over: 'pipeline_lag',
      },
    );
    expect(
      nextAdmissionRate(100, { lagMs: 0, eventLoopDelayMs: 500, admittedPerS: 100 }, SETTINGS).over,
    ).toBe('event_loop_delay');
  });

  it('never goes below the floor, even with nothing admitted', () => {
    expect(
      nextAdmissionRate(50, { lagMs: 60_000, eventLoopDelayMs: 0, admittedPerS: 0 }, SETTINGS).perS,
    ).toBe(5);
  });

  it('grows under the targets only while the rate is used, less as the lag nears its target', () => {
    const idle = nextAdmissionRate(100, { lagMs: 0, eventLoopDelayMs: 0, admittedPerS: 90 }, SETTINGS);
    const near = nextAdmissionRate(100, { lagMs: 900, eventLoopDelayMs: 0, admittedPerS: 90 }, SETTINGS);
    expect(idle).toEqual({ perS: 120, over: undefined });
    expect(near.perS).toBeCloseTo(102, 5);
    expect(nextAdmissionRate(100, { lagMs: 0, eventLoopDelayMs: 0, admittedPerS: 10 }, SETTINGS).perS).toBe(
      100,
    );
  });
});

describe('AdmissionControl', () => {
  it('lets everything in while the pipeline keeps up', () => {
    const { control, offer } = controlled();
    for (let i = 0; i < 20; i++) {
      expect(offer(500, 250)).toBe(125);
      control.observe({ lagMs: 100, eventLoopDelayMs: 5 });
    }
    expect(control.status()).toMatchObject({ state: 'open', refused: { pipeline_lag: 0 } });
  });

  it('refuses with a reason and a Retry-After once the lag passes its target, and bounds what gets in', () => {
    const { control, offer, advance } = controlled();
    expect(offer(500, 250)).toBe(125);
    // A pipeline that drains 50/s behind 500/s offered: its lag grows while more gets in than it drains.
    let backlog = 125;
    const admittedPerInterval: number[] = [];
    for (let i = 0; i < 40; i++) {
      backlog = Math.max(0, backlog - 50 / 4);
      control.observe({ lagMs: (backlog / 50) * 1000, eventLoopDelayMs: 5 });
      const admitted = offer(500, 250);
      admittedPerInterval.push(admitted);
      backlog += admitted;
    }
    // Converges near what the pipeline drains (12.5 per 250 ms), not the 125 offered.
    const tail = admittedPerInterval.slice(-20);
    expect(tail.reduce((a, b) => a + b, 0) / tail.length).toBeLessThan(25);
    expect(backlog).toBeLessThan(125);
    const refused = control.admit();
    expect(refused).toMatchObject({ admitted: false, reason: 'pipeline_lag' });
    expect(control.status().state).toBe('shedding');
    expect(control.status().refused.pipeline_lag).toBeGreaterThan(1000);
    // Health stays degraded for degradedForMs after the last refusal, then opens.
    advance(10_001);
    expect(control.status().state).toBe('open');
  });

  it('asks for a retry after about the current lag, between 1 and 60 s', () => {
    const { control, offer } = controlled({ maxPerS: 10, minPerS: 1 });
    offer(10, 1000);
    control.observe({ lagMs: 7200, eventLoopDelayMs: 0 });
    offer(100, 1000);
    const ticket = control.admit();
    expect(ticket).toMatchObject({ admitted: false, reason: 'pipeline_lag', retryAfterS: 8 });
    control.observe({ lagMs: 600_000, eventLoopDelayMs: 0 });
    offer(100, 1000);
    expect(control.admit()).toMatchObject({ admitted: false, retryAfterS: 60 });
  });

  it('names the event loop when that is what is late', () => {
    const { control, offer } = controlled();
    offer(500, 250);
    control.observe({ lagMs: 0, eventLoopDelayMs: 900 });
    offer(500, 250);
    expect(control.status().refused).toMatchObject({ event_loop_delay: expect.any(Number), pipeline_lag: 0 });
    expect(control.status().refused.event_loop_delay).toBeGreaterThan(0);
  });

  it('grows back once the pipeline has caught up', () => {
    const { control, offer } = controlled();
    offer(500, 250);
    for (let i = 0; i < 10; i++) {
      control.observe({ lagMs: 5000, eventLoopDelayMs: 0 });
      offer(500, 250);
    }
    const low = control.status().ratePerS;
    expect(low).toBeLessThan(20);
    for (let i = 0; i < 40; i++) {
      control.observe({ lagMs: 0, eventLoopDelayMs: 0 });
      offer(500, 250);
    }
    expect(control.status().ratePerS).toBeGreaterThan(400);
    expect(offer(500, 250)).toBe(125);
  });

  it('caps the webhooks in flight whatever the rate, and counts a release once', () => {
    const { control } = controlled({ maxInFlight: 2 });
    const a = control.admit();
    const b = control.admit();
    expect(a.admitted && b.admitted).toBe(true);
    expect(control.admit()).toMatchObject({ admitted: false, reason: 'concurrency', retryAfterS: 1 });
    if (a.admitted) {
      a.release();
      a.release();
    }
    expect(control.status().inFlight).toBe(1);
    expect(control.admit().admitted).toBe(true);
    expect(control.admit().admitted).toBe(false);
  });

  it('refuses settings that cannot work', () => {
    expect(() => new AdmissionControl({ minPerS: 10, maxPerS: 5 })).toThrow(InvalidArgumentError);
    expect(() => new AdmissionControl({ targetLagMs: 0 })).toThrow(InvalidArgumentError);
  });
});
