/**
 * SharedHead: exact callers of one turn share one read sent after they asked;
 * lag reports reuse the last read while it is recent and no wake-up came since.
 */
import { describe, expect, it } from 'vitest';
import { SharedHead } from '../../src/store/shared-head.js';

function fakeHead() {
  let generation = 0;
  let reads = 0;
  const head = new SharedHead(
    async () => `${++reads}:1`,
    () => generation,
  );
  return {
    head,
    reads: () => reads,
    wake: () => void generation++,
  };
}

describe('SharedHead', () => {
  it('callers of one turn share one read; a later turn reads again', async () => {
    const t = fakeHead();
    const same = await Promise.all([t.head.read(), t.head.read(), t.head.read()]);
    expect(same).toEqual(['1:1', '1:1', '1:1']);
    expect(await t.head.read()).toBe('2:1');
    expect(t.reads()).toBe(2);
  });

  it('an exact caller never gets an earlier read, even a recent one', async () => {
    const t = fakeHead();
    await t.head.read({ maxAgeMs: 60_000 });
    expect(await t.head.read()).toBe('2:1');
  });

  it('a lag report reuses the last read until a wake-up or maxAgeMs', async () => {
    const t = fakeHead();
    expect(await t.head.read({ maxAgeMs: 60_000 })).toBe('1:1');
    expect(await t.head.read({ maxAgeMs: 60_000 })).toBe('1:1');
    t.wake();
    expect(await t.head.read({ maxAgeMs: 60_000 })).toBe('2:1');
    expect(await t.head.read({ maxAgeMs: 0 })).toBe('3:1');
    t.head.forget();
    expect(await t.head.read({ maxAgeMs: 60_000 })).toBe('4:1');
  });

  it('a failed read fails its callers and is not reused', async () => {
    let fail = true;
    const head = new SharedHead(
      async () => {
        if (fail) throw new Error('down');
        return '7:1';
      },
      () => 0,
    );
    await expect(Promise.all([head.read(), head.read({ maxAgeMs: 60_000 })])).rejects.toThrow('down');
    fail = false;
    expect(await head.read({ maxAgeMs: 60_000 })).toBe('7:1');
  });
});
