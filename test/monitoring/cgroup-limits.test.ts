/**
 * The container limits the host sampler compares memory and CPU with, read
 * from cgroup fixture trees in a temp dir: v2 (`memory.max`, `cpu.max`),
 * v1 (`memory.limit_in_bytes`, the CFS quota), "max" and v1's unlimited
 * sentinel as no limit, the tightest of the process's cgroup and its
 * ancestors, and nothing found as no limit; the process probe caps them by
 * the machine's own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseCpuMax,
  parseMemoryLimit,
  readCgroupLimits,
} from '../../src/commerce/monitoring/cgroup-limits.js';
import { processProbe } from '../../src/commerce/monitoring/host-probe.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A temp dir holding `files` (path → content); returns options pointing at it. */
function fixture(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'cgroup-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return { root: join(dir, 'sys/fs/cgroup'), selfCgroup: join(dir, 'proc/self/cgroup') };
}

describe('cgroup limits', () => {
  it('parses limit files: bytes, "max", the v1 sentinel and garbage', () => {
    expect(parseMemoryLimit('536870912\n')).toBe(536_870_912);
    expect(parseMemoryLimit('max\n')).toBeNull();
    expect(parseMemoryLimit('9223372036854771712\n')).toBeNull();
    expect(parseMemoryLimit('-1')).toBeNull();
    expect(parseMemoryLimit('')).toBeNull();
    expect(parseCpuMax('150000 100000\n')).toBe(1.5);
    expect(parseCpuMax('max 100000\n')).toBeNull();
    expect(parseCpuMax('50000')).toBe(0.5); // the period defaults to 100 ms
  });

  it('v2: the unified hierarchy, in a container (its cgroup is the root)', async () => {
    const limits = await readCgroupLimits(
      fixture({
        'proc/self/cgroup': '0::/\n',
        'sys/fs/cgroup/cgroup.controllers': 'cpu memory\n',
        'sys/fs/cgroup/memory.max': '536870912\n',
        'sys/fs/cgroup/cpu.max': '200000 100000\n',
      }),
    );
    expect(limits).toEqual({ memoryBytes: 536_870_912, cores: 2, version: 'cgroup v2' });
  });

  it('v2: "max" is no limit', async () => {
    const limits = await readCgroupLimits(
      fixture({
        'proc/self/cgroup': '0::/\n',
        'sys/fs/cgroup/memory.max': 'max\n',
        'sys/fs/cgroup/cpu.max': 'max 100000\n',
      }),
    );
    expect(limits).toEqual({ memoryBytes: null, cores: null, version: 'cgroup v2' });
  });

  it('v2: the tightest limit of the process cgroup and its ancestors (a systemd slice)', async () => {
    const limits = await readCgroupLimits(
      fixture({
        'proc/self/cgroup': '0::/app.slice/api.service\n',
        'sys/fs/cgroup/app.slice/memory.max': '1073741824\n',
        'sys/fs/cgroup/app.slice/api.service/memory.max': 'max\n',
        'sys/fs/cgroup/app.slice/api.service/cpu.max': '100000 100000\n',
      }),
    );
    expect(limits).toEqual({ memoryBytes: 1_073_741_824, cores: 1, version: 'cgroup v2' });
  });

  it('v1: memory.limit_in_bytes and the CFS quota, the unlimited sentinel ignored', async () => {
    const options = fixture({
      'proc/self/cgroup': '12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n',
      'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
      'sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '268435456\n',
      'sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us': '150000\n',
      'sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us': '100000\n',
    });
    expect(await readCgroupLimits(options)).toEqual({
      memoryBytes: 268_435_456,
      cores: 1.5,
      version: 'cgroup v1',
    });
  });

  it('v1: no quota (-1) and no limit (the sentinel) are none', async () => {
    const options = fixture({
      'proc/self/cgroup': '4:memory:/\n3:cpu,cpuacct:/\n',
      'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
    });
    expect(await readCgroupLimits(options)).toEqual({ memoryBytes: null, cores: null, version: 'cgroup v1' });
  });

  it('no cgroup at all (not Linux, nothing mounted): no limits', async () => {
    expect(await readCgroupLimits(fixture({}))).toEqual({ memoryBytes: null, cores: null, version: null });
  });

  it('the process probe takes the cgroup limit when it is below the machine, else the machine', async () => {
    const small = await processProbe(
      fixture({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/memory.max': '268435456\n' }),
    ).limits();
    expect(small).toEqual({
      cores: availableParallelism(),
      coresFrom: 'host',
      memoryBytes: 268_435_456,
      memoryFrom: 'cgroup v2',
    });
    const huge = await processProbe(
      fixture({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/memory.max': `${totalmem() * 4}\n` }),
    ).limits();
    expect(huge).toMatchObject({ memoryBytes: totalmem(), memoryFrom: 'host' });
  });
});
