import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import {
  classifyFailure,
  isConnectionFailure,
  isTransientFailure,
  type FailureKind,
} from '../../src/runtime/index.js';

/** A driver error as node-postgres raises it. */
function pgError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

/** A failed fetch as Node's undici raises it: a code-less TypeError with the socket error as cause. */
function fetchError(code: string): TypeError {
  return new TypeError('fetch failed', { cause: pgError(`connect ${code}`, code) });
}

describe('classifyFailure', () => {
  it.each<[string, unknown, FailureKind]>([
    ['the server refused the statement', pgError('duplicate key value', '23505'), 'failed'],
    ['a serialization failure', pgError('could not serialize access', '40001'), 'rolled_back'],
    ['a deadlock', pgError('deadlock detected', '40P01'), 'rolled_back'],
    [
      'a statement timeout (server side, rolled back)',
      pgError('canceling statement', '57014'),
      'rolled_back',
    ],
    ['a lock timeout', pgError('canceling statement due to lock timeout', '55P03'), 'rolled_back'],
    ['the server out of memory', pgError('out of memory', '53200'), 'rolled_back'],
    ['a full disk', pgError('could not extend file', '53100'), 'rolled_back'],
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
    ['too many connections', pgError('sorry, too many clients already', '53300'), 'not_sent'],
    ['a connect timeout', pgError('timeout exceeded when trying to connect'), 'not_sent'],
    ['a fetch that never connected', fetchError('ECONNREFUSED'), 'not_sent'],
    ['a fetch whose DNS lookup failed', fetchError('ENOTFOUND'), 'not_sent'],
    ['a fetch whose connect timed out', fetchError('UND_ERR_CONNECT_TIMEOUT'), 'not_sent'],
    ['a fetch whose socket broke', fetchError('UND_ERR_SOCKET'), 'unknown'],
    ['a fetch that failed without a cause', new TypeError('fetch failed'), 'unknown'],
    [
      'a fetch timeout',
      Object.assign(new Error('The operation timed out'), { name: 'TimeoutError' }),
      'unknown',
    ],
    ['a bug', new TypeError('Cannot read properties of undefined'), 'failed'],
    [
      'a library error with a cause',
      new StoreUnavailableError('down', pgError('x', 'ECONNREFUSED')),
      'failed',
    ],
    ['a thrown string', 'boom', 'failed'],
    ['anything else', new Error('boom'), 'failed'],
  ])('%s → %s', (_what, err, kind) => {
    expect(classifyFailure(err)).toBe(kind);
  });

  it('with network: false reads only the error itself, as a database driver raises it', () => {
    expect(classifyFailure(fetchError('ECONNREFUSED'), { network: false })).toBe('failed');
    expect(classifyFailure(new TypeError('fetch failed'), { network: false })).toBe('failed');
    expect(classifyFailure(pgError('read ECONNRESET', 'ECONNRESET'), { network: false })).toBe('unknown');
  });

  it('calls a connection failure what did not reach or lost the server, and transient all but failed', () => {
    expect(isConnectionFailure(pgError('x', '57P01'))).toBe(true);
    expect(isConnectionFailure(pgError('x', '40001'))).toBe(false);
    expect(isTransientFailure(pgError('x', '40001'))).toBe(true);
    expect(isTransientFailure(pgError('x', 'ECONNREFUSED'))).toBe(true);
    expect(isTransientFailure(pgError('x', '23505'))).toBe(false);
  });
});
