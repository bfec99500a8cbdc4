#!/usr/bin/env node
/**
 * The `creatorflow-sync` executable (bin entry): `creatorflow-sync rebuild <projection> --progress`.
 */
import { runCli } from './run-cli.js';

// No top-level await: the bundle is also built as CommonJS.
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
});
