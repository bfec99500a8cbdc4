import { startExpressHost } from '../../examples/express-host/app.js';
import { hostContract } from './host-contract.js';

hostContract('express', startExpressHost);
