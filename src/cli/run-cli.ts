/**
 * `creatorflow-sync <command>`: argument parsing and the rebuild command,
 * written against injected streams so tests run it in process.
 */
import { parseArgs } from 'node:util';
import { isSyncError } from '../core/errors.js';
import { rebuildProjection, type RebuildProgress } from '../processing/projection/rebuild.js';
import type { ProjectionDefinition } from '../processing/projection/definition.js';
import { loadCliConfig, type CliConfig } from './cli-config.js';
import { renderProgressBar } from './progress-bar.js';

/** Where the CLI reads and writes. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Redraw the progress bar in place (a terminal) rather than print one line per report. */
  isTTY: boolean;
  cwd: string;
  /** Override config loading (tests). */
  loadConfig?: (path: string | undefined) => Promise<CliConfig>;
}

/** The usage text. */
export const USAGE = `Usage: creatorflow-sync <command> [options]

Commands:
  rebuild <projection>   Replay the log into a fresh table and swap it in (blue/green);
                         the way to change its partition count
  projections            List the projections in the config

Options:
  --config <file>        Config module exporting { store, projections } (default creatorflow.config.js)
  --progress             Show a progress bar (events done/total, rate, ETA)
  --batch-size <n>       Events per read during a rebuild (default 5000)
  -h, --help             Show this help
`;

/**
 * Run the CLI; resolves to the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr,
 *   isTTY: Boolean(process.stderr.isTTY), cwd: process.cwd() });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        progress: { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? io.stdout : io.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  if (command !== 'rebuild' && command !== 'projections') {
    io.stderr.write(`Unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    io.stderr.write(`--batch-size must be a positive integer\n`);
    return 2;
  }
  if (command === 'rebuild' && rest.length !== 1) {
    io.stderr.write(`rebuild takes exactly one projection name\n\n${USAGE}`);
    return 2;
  }

  let config: CliConfig | undefined;
  try {
    config = await (io.loadConfig ? io.loadConfig(values.config) : loadCliConfig(values.config, io.cwd));
    const projections = config.projections as readonly ProjectionDefinition[];
    if (command === 'projections') {
      for (const p of projections) {
        const partitions = p.partitions > 1 ? `\t${p.partitions} partitions` : '';
        io.stdout.write(`${p.name}\t${p.mode}\ttable ${p.table}${partitions}\n`);
      }
      return 0;
    }
    const name = rest[0]!;
    const definition = projections.find((p) => p.name === name);
    if (!definition) {
      io.stderr.write(
        `Unknown projection "${name}"; known: ${projections.map((p) => p.name).join(', ') || 'none'}\n`,
      );
      return 2;
    }
    const store = typeof config.store === 'function' ? await config.store() : config.store;
    await store.migrate();
    let drawn = false;
    const result = await rebuildProjection({
      store,
      definition,
      ...(batchSize !== undefined ? { batchSize } : {}),
      progressIntervalMs: io.isTTY ? 100 : 1000,
      ...(values.progress
        ? {
            onProgress: (p: RebuildProgress) => {
              const line = renderProgressBar(p);
              if (io.isTTY) io.stderr.write(`\r\x1b[2K${line}`);
              else io.stderr.write(`${line}\n`);
              drawn = true;
            },
          }
        : {}),
    });
    if (drawn && io.isTTY) io.stderr.write('\n');
    io.stdout.write(
      `Rebuilt ${result.projection}: ${result.events} events in ${(result.durationMs / 1000).toFixed(1)} s ` +
        `(generation ${result.generation}, checkpoint ${result.checkpoint}` +
        `${definition.partitions > 1 ? `, ${definition.partitions} partitions` : ''})\n`,
    );
    if (typeof config.store === 'function') await store.close();
    return 0;
  } catch (err) {
    io.stderr.write(
      `Error: ${isSyncError(err) ? `[${err.code}] ` : ''}${(err as Error).message ?? String(err)}\n`,
    );
    return 1;
  } finally {
    await config?.close?.().catch(() => undefined);
  }
}
