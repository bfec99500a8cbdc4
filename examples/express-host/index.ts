/**
 * `tsx examples/express-host/index.ts` — the Express host as a process
 * (pair it with `tsx examples/simulator/index.ts`). Configured by the
 * environment only; see docs/demo.md ("Host processes").
 */
import { runHostProcess } from '../shared/host-main.js';
import { startExpressHost } from './app.js';

await runHostProcess('express', startExpressHost);
