/**
 * `archive-event-log` computes its month boundary in UTC whatever the
 * process's time zone: the log's partitions are UTC months. The schedule's
 * run and the cron's next due time are computed in child processes whose
 * `TZ` puts the due times in another local month (a local-calendar
 * computation would archive one month too many or too few).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { archiveCutoff } from '../../src/commerce/commerce-schedules.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/archive-cutoffs.ts', import.meta.url));
const run = promisify(execFile);

/** For due times 2026-03-01T03:00Z, 2026-01-01T00:00Z, 2026-12-31T23:59:59.999Z, keeping 2 months. */
const UTC_CUTOFFS = ['2026-01-01T00:00:00.000Z', '2025-11-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'];

describe('archive-event-log month boundary', () => {
  it('is midnight UTC on the 1st, keepMonths before the UTC month of the due time', () => {
    expect(archiveCutoff(new Date('2026-03-01T03:00:00Z'), 2).toISOString()).toBe(UTC_CUTOFFS[0]);
    expect(archiveCutoff(new Date('2026-01-01T00:00:00Z'), 2).toISOString()).toBe(UTC_CUTOFFS[1]);
    expect(archiveCutoff(new Date('2026-12-31T23:59:59.999Z'), 2).toISOString()).toBe(UTC_CUTOFFS[2]);
    expect(archiveCutoff(new Date('2026-01-15T00:00:00Z'), 24).toISOString()).toBe(
      '2024-01-01T00:00:00.000Z',
    );
  });

  it.each([
    // UTC-8: the 1st at 03:00 UTC is still the last day of the previous month locally.
    ['America/Los_Angeles', [2, 12, 12]],
    // UTC+14: the last evening of December is already January locally.
    ['Pacific/Kiritimati', [3, 1, 1]],
  ])(
    'is the same in a process running in %s',
    async (tz, localMonths) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', FIXTURE], {
        env: { ...process.env, TZ: tz },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout) as {
        tz: string;
        localMonths: number[];
        cutoffs: string[];
        nextDue: string;
      };
      // The zone took effect: local months differ from the UTC ones (3, 1, 12).
      expect(out).toMatchObject({ tz, localMonths });
      expect(out.cutoffs).toEqual(UTC_CUTOFFS);
      expect(out.nextDue).toBe('2026-03-01T03:00:00.000Z');
    },
    90_000,
  );
});
