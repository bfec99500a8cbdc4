/**
 * src/conflicts keeps the pure pipeline apart from the service: nothing in
 * `pipeline/` imports `service/`, the store or a SQL client.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PIPELINE = join(import.meta.dirname, '../../src/conflicts/pipeline');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('src/conflicts layout', () => {
  it('the pipeline does no I/O: it imports neither the service nor the store nor SQL', () => {
    const found = files(PIPELINE);
    expect(found.length).toBeGreaterThan(10);
    const offending = found.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)]
        .map((m) => m[1]!)
        .filter((spec) => /\/service\/|\/store\/|sql-client|migrator|node:(fs|net|http)/.test(spec))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});
