import { startFastifyHost } from '../../examples/fastify-host/app.js';
import { hostContract } from './host-contract.js';

hostContract('fastify', startFastifyHost);
