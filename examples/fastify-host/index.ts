/**
 * `tsx examples/fastify-host/index.ts` — the Fastify host as a process
 * (pair it with `tsx examples/simulator/index.ts`). Configured by the
 * environment only; see docs/demo.md ("Host processes").
 */
import { runHostProcess } from '../shared/host-main.js';
import { startFastifyHost } from './app.js';

await runHostProcess('fastify', startFastifyHost);
