import { describe, expect, it } from 'vitest';
import { sqlFailureOutcome } from '../../src/core/sql-errors.js';

/** A driver error as node-postgres raises it. */
function pgError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('sqlFailureOutcome', () => {
  it.each([
    ['the server refused the statement', pgError('duplicate key value', '23505'), 'failed'],
    ['a serialization failure', pgError('could not serialize access', '40001'), 'failed'],
    ['a statement timeout (server side, rolled back)', pgError('canceling statement', '57014'), 'failed'],
    ['a client-side query timeout', pgError('Query read timeout'), 'unknown'],
    [
      'an administrator shutdown',
      pgError('terminating connection due to administrator command', '57P01'),
      'unknown',
    ],
    [
      'a crash shutdown',
      pgError('terminating connection because of crash of another server process', '57P02'),
      'unknown',
    ],
    ['a connection failure', pgError('connection failure', '08006'), 'unknown'],
    ['a dropped connection', pgError('Connection terminated unexpectedly'), 'unknown'],
    ['a reset socket', pgError('read ECONNRESET', 'ECONNRESET'), 'unknown'],
    ['a refused connection', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'not_sent'],
    ['a server still starting', pgError('the database system is starting up', '57P03'), 'not_sent'],
    ['a connect timeout', pgError('timeout exceeded when trying to connect'), 'not_sent'],
    ['anything else', new Error('boom'), 'failed'],
  ])('%s → %s', (_what, err, outcome) => {
    expect(sqlFailureOutcome(err)).toBe(outcome);
  });
});
