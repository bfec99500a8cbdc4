/**
 * The memory and CPU limits a Linux container sets on this process, read
 * from its cgroup (v2: `memory.max`, `cpu.max`; v1: `memory.limit_in_bytes`,
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`). A container's limit is what
 * the process is killed or throttled at, far below the machine's memory and
 * cores that `os.totalmem()` and `os.availableParallelism()` report. The
 * process's own cgroup and each of its ancestors are read (any of them may
 * set the binding limit); "max", v1's "unlimited" sentinel or a missing
 * file means no limit there.
 */
import { readFile } from 'node:fs/promises';

/** Which cgroup version a limit came from. */
export type CgroupVersion = 'cgroup v2' | 'cgroup v1';

/** What the cgroup limits, each null when it sets none. */
export interface CgroupLimits {
  /** Memory limit in bytes. */
  memoryBytes: number | null;
  /** CPU quota in cores (quota / period), e.g. 1.5. */
  cores: number | null;
  /** The version the limits were read from (null: no cgroup found). */
  version: CgroupVersion | null;
}

/**
 * Where the cgroup files are (tests point these at fixtures).
 *
 * @example
 * ```ts
 * const options: CgroupLimitsOptions = { root: '/sys/fs/cgroup', selfCgroup: '/proc/self/cgroup' };
 * ```
 */
export interface CgroupLimitsOptions {
  /** The cgroup file system's mount point. Default `/sys/fs/cgroup`. */
  root?: string;
  /** The process's cgroup membership file. Default `/proc/self/cgroup`. */
  selfCgroup?: string;
}

// v1 reports "no limit" as a page-aligned 2^63 - 1 (9223372036854771712); anything this large is none.
const V1_UNLIMITED = 2 ** 62;

/**
 * A memory limit file's value in bytes (`memory.max` or
 * `memory.limit_in_bytes`), or null for "max", the v1 sentinel or text that
 * is not a byte count.
 *
 * @example
 * ```ts
 * parseMemoryLimit('536870912\n') // 536870912
 * parseMemoryLimit('max\n')       // null
 * ```
 */
export function parseMemoryLimit(text: string): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n > 0 && n < V1_UNLIMITED ? n : null;
}

/**
 * A v2 `cpu.max` (`"<quota> <period>"`, quota `max` for none) in cores.
 *
 * @example
 * ```ts
 * parseCpuMax('150000 100000') // 1.5
 * parseCpuMax('max 100000')    // null
 * ```
 */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  return coresOf(quota, period ?? '100000');
}

function coresOf(quota: string | undefined, period: string | undefined): number | null {
  if (!quota || !period || !/^\d+$/.test(quota) || !/^\d+$/.test(period)) return null; // "max", v1's -1
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? q / p : null;
}

async function text(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** `/a/b` → [`/a/b`, `/a`, ``]: the cgroup and its ancestors, as path suffixes. */
function lineage(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '..');
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--)
    out.push(
      parts
        .slice(0, i)
        .map((p) => `/${p}`)
        .join(''),
    );
  return out;
}

/** The smallest value `read` finds in the cgroup or an ancestor. */
async function tightest(
  dir: string,
  path: string,
  read: (dir: string) => Promise<number | null>,
): Promise<number | null> {
  let min: number | null = null;
  for (const suffix of lineage(path)) {
    const v = await read(`${dir}${suffix}`);
    if (v !== null && (min === null || v < min)) min = v;
  }
  return min;
}

/** The process's cgroup path per controller (`''` the v2 unified one) from `/proc/self/cgroup`. */
function memberships(content: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (content ?? '').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const controller of m[1]!.split(',')) out.set(controller, m[2]!);
  }
  return out;
}

/**
 * Read the memory and CPU limits of the process's cgroup (v2 when the
 * process is in the unified hierarchy and no v1 memory controller is
 * mounted; v1 otherwise). Never throws: what cannot be read is no limit.
 *
 * @example
 * ```ts
 * const { memoryBytes, cores, version } = await readCgroupLimits();
 * // in a container with --memory=512m --cpus=1.5: { memoryBytes: 536870912, cores: 1.5, version: 'cgroup v2' }
 * ```
 */
export async function readCgroupLimits(options: CgroupLimitsOptions = {}): Promise<CgroupLimits> {
  const root = options.root ?? '/sys/fs/cgroup';
  const self = memberships(await text(options.selfCgroup ?? '/proc/self/cgroup'));
  const number = (file: string, parse: (t: string) => number | null) => async (dir: string) => {
    const t = await text(`${dir}/${file}`);
    return t === null ? null : parse(t);
  };
  const v1Memory = self.get('memory');
  if (
    v1Memory !== undefined ||
    (self.size === 0 && (await text(`${root}/memory/memory.limit_in_bytes`)) !== null)
  ) {
    const cpuPath = self.get('cpu') ?? v1Memory ?? '/';
    const quota = async (dir: string) =>
      coresOf(
        (await text(`${dir}/cpu.cfs_quota_us`))?.trim(),
        (await text(`${dir}/cpu.cfs_period_us`))?.trim(),
      );
    return {
      memoryBytes: await tightest(
        `${root}/memory`,
        v1Memory ?? '/',
        number('memory.limit_in_bytes', parseMemoryLimit),
      ),
      cores: await tightest(`${root}/cpu`, cpuPath, quota),
      version: 'cgroup v1',
    };
  }
  const unified = self.get('') ?? '/';
  if (self.size === 0 && (await text(`${root}/cgroup.controllers`)) === null) {
    return { memoryBytes: null, cores: null, version: null };
  }
  return {
    memoryBytes: await tightest(root, unified, number('memory.max', parseMemoryLimit)),
    cores: await tightest(root, unified, number('cpu.max', parseCpuMax)),
    version: 'cgroup v2',
  };
}
