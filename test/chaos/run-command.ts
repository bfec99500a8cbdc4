/**
 * Run a command to completion and fail with its output when it fails: the
 * private servers are driven by their own command-line tools (pg_ctl,
 * redis-server, redis-cli), like an operator would.
 */
import { execFile } from 'node:child_process';

/**
 * Run `file args…`; resolves with stdout, rejects with stderr in the message.
 *
 * @example
 * ```ts
 * await runCommand('redis-cli', ['-p', '6390', 'ping']);
 * ```
 */
export function runCommand(file: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}
