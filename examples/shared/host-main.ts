/**
 * The entry of a host process (`tsx examples/express-host/index.ts`, the
 * Fastify one likewise), configured only by environment variables. It
 * prints exactly one line on stdout, `listening <url>`, once the host takes
 * requests — scripts and the fault suite wait for it; everything else goes
 * to stderr, prefixed with the host id. SIGTERM (or SIGINT) closes the host
 * cleanly and exits 0. A background rejection nobody handled is logged
 * (it is a bug to fix), not allowed to kill a host that is otherwise fine.
 */
import { readHostConfig } from './host-config.js';
import { createHostLog, describeError } from './host-log.js';
import type { RunningHost, StartHostOptions } from './running-host.js';

/** Longest clean shutdown before the process exits anyway. */
const CLOSE_DEADLINE_MS = 15_000;

/**
 * Start a host as this process's job.
 *
 * @example
 * ```ts
 * await runHostProcess('express', startExpressHost);
 * ```
 */
export async function runHostProcess(
  framework: string,
  start: (options: StartHostOptions) => Promise<RunningHost>,
): Promise<void> {
  let log;
  let running: RunningHost;
  try {
    const config = readHostConfig(process.env);
    log = createHostLog(config.hostId);
    const hostLog = log;
    process.on('unhandledRejection', (reason) =>
      hostLog.error(`unhandled rejection (a bug): ${describeError(reason)}`),
    );
    running = await start({ hostId: config.hostId, log });
  } catch (err) {
    (log ?? createHostLog('host')).error(`could not start: ${describeError(err)}`);
    process.exit(1);
  }
  const { host } = running;
  host.log.info(
    `${framework} host on ${running.url} (${host.backends.database}${host.backends.redis ? ' + redis' : ''})`,
  );
  process.stdout.write(`listening ${running.url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    host.log.info(`${signal}: closing`);
    setTimeout(() => {
      host.log.error(`did not close within ${CLOSE_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, CLOSE_DEADLINE_MS).unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        host.log.error(`close failed: ${describeError(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
