/**
 * The command-line interface, for hosts that want to run it programmatically.
 */
export { runCli, USAGE, type CliIo } from './run-cli.js';
export { defineCliConfig, loadCliConfig, DEFAULT_CONFIG_FILES, type CliConfig } from './cli-config.js';
export { formatEta, renderProgressBar } from './progress-bar.js';
