import { describe, expect, it } from 'vitest';
import { WakeableSleep } from '../../src/runtime/index.js';

/** Long enough that a pause only ends early because of what the test does. */
const LONG = 60_000;

describe('WakeableSleep', () => {
  it('a wake ends the current pause', async () => {
    const pause = new WakeableSleep();
    const slept = pause.sleep(LONG);
    pause.wake();
    await slept;
    expect(pause.pending).toBe(false);
  });

  it('a wake while busy is remembered: the next pause returns at once, once', async () => {
    const pause = new WakeableSleep();
    pause.wake();
    expect(pause.pending).toBe(true);
    await pause.sleep(LONG);
    expect(pause.pending).toBe(false);
  });

  it('clear() forgets a remembered wake', async () => {
    const pause = new WakeableSleep();
    pause.wake();
    pause.clear();
    let ended = false;
    const slept = pause.sleep(LONG).then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false);
    pause.stop();
    await slept;
  });

  it('a pause that is not wakeable ignores a wake but remembers it; stop() ends it', async () => {
    const pause = new WakeableSleep();
    let ended = false;
    const slept = pause.sleep(LONG, { wakeable: false }).then(() => (ended = true));
    pause.wake();
    await Promise.resolve();
    await Promise.resolve();
    expect(ended).toBe(false);
    expect(pause.pending).toBe(true);
    pause.stop();
    await slept;
    expect(ended).toBe(true);
  });

  it('after stop() every pause returns at once', async () => {
    const pause = new WakeableSleep();
    pause.stop();
    await pause.sleep(LONG);
    await pause.sleep(LONG, { wakeable: false });
  });

  it('without a wake, a pause lasts its interval', async () => {
    const pause = new WakeableSleep();
    const started = performance.now();
    await pause.sleep(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);
  });
});
