import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../src/runtime/index.js';
import { waitFor } from '../support/wait.js';

describe('Heartbeat', () => {
  it('beats until stopped, one beat in flight at a time', async () => {
    let beats = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const heartbeat = new Heartbeat({
      intervalMs: 1,
      beat: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5)); // longer than the interval
        inFlight--;
        beats++;
      },
    });
    heartbeat.start(0);
    await waitFor(() => beats >= 5, { what: 'five beats' });
    heartbeat.stop();
    expect(heartbeat.running).toBe(false);
    expect(maxInFlight).toBe(1);
  });

  it('reports a failed beat and beats again sooner than the interval', async () => {
    const errors: unknown[] = [];
    let beats = 0;
    const heartbeat = new Heartbeat({
      intervalMs: 60_000,
      retryAfterFailureMs: 1,
      beat: async () => {
        beats++;
        if (beats === 1) throw new Error('connection lost');
      },
      onError: (err) => errors.push(err),
    });
    heartbeat.start(0);
    // Only the short retry delay can bring the second beat within the test.
    await waitFor(() => beats === 2, { what: 'the retried beat' });
    heartbeat.stop();
    expect(errors).toEqual([new Error('connection lost')]);
  });

  it('stops on its own when a beat resolves false', async () => {
    let beats = 0;
    const heartbeat = new Heartbeat({
      intervalMs: 1,
      beat: async () => {
        beats++;
        return false;
      },
    });
    heartbeat.start(0);
    await waitFor(() => !heartbeat.running, { what: 'the heartbeat to stop' });
    expect(beats).toBe(1);
  });

  it('a beat still in flight at stop() schedules no other', async () => {
    let beats = 0;
    let release!: () => void;
    const heartbeat = new Heartbeat({
      intervalMs: 1,
      beat: async () => {
        beats++;
        await new Promise<void>((r) => (release = r));
      },
    });
    heartbeat.start(0);
    await waitFor(() => beats === 1, { what: 'the first beat' });
    heartbeat.stop();
    release();
    // Give a wrongly scheduled beat every chance to run: a second heartbeat's beats prove time passed.
    let other = 0;
    const witness = new Heartbeat({ intervalMs: 1, beat: async () => void other++ });
    witness.start(0);
    await waitFor(() => other >= 5, { what: 'the witness heartbeat' });
    witness.stop();
    expect(beats).toBe(1);
  });
});

describe('Heartbeat restarted while a beat hangs', () => {
  it('beats on in the new run; the hung beat of the old run schedules nothing', async () => {
    let beats = 0;
    let release!: () => void;
    const heartbeat = new Heartbeat({
      intervalMs: 1,
      beat: async () => {
        beats++;
        if (beats === 1) await new Promise<void>((r) => (release = r)); // the first beat hangs
      },
    });
    heartbeat.start(0);
    await waitFor(() => beats === 1, { what: 'the hung beat' });
    heartbeat.stop();
    heartbeat.start(0); // a new tenure while the old renewal still hangs
    await waitFor(() => beats >= 4, { what: 'beats of the new run' });
    release();
    heartbeat.stop();
  });
});
