/**
 * A preload that counts the statements a host process sends to PostgreSQL,
 * by statement text, for `e2e-cost`'s hosts:
 *
 *   COUNT_QUERIES_DIR=/tmp/counts \
 *   BENCH_HOST_NODE_ARGS="--import $PWD/benchmarks/support/count-queries.mjs" \
 *   npm run bench -- e2e-cost
 *
 * Each host writes `<HOST_ID>-<pid>.jsonl`: one line a second,
 * `{ t, counts }` (ms since the epoch, statement text with the run's schema
 * name removed → calls so far). Differences between two lines give the
 * statements of any window (the idle seconds before the load, the load);
 * divided by the orders, statements per order, which unlike CPU per order
 * do not move with the machine's load. Plain JavaScript: it is loaded before
 * the host's `--import tsx`. node-postgres's `Client#query` is wrapped (every
 * statement goes through it, pooled or in a transaction). `trips` counts
 * the statements that opened a round trip (the first of a pipelined run), by
 * text. `flushes` counts the writes to the connections' sockets (calls of
 * `_write`/`_writev`: one system call each, however many statements went
 * out in it). On SIGUSR2 a host appends the same line at once to
 * `<HOST_ID>-<pid>.snap.jsonl`: a snapshot at a moment the benchmark chooses
 * (`e2e-cost` with BENCH_COST_STATEMENTS=1 takes one at each of its samples).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';
import { setInterval } from 'node:timers';

const require = createRequire(join(process.cwd(), 'package.json'));
const { Client } = require('pg');

const dir = process.env.COUNT_QUERIES_DIR ?? '/tmp/creatorflow-query-counts';
const file = join(dir, `${process.env.HOST_ID ?? 'host'}-${process.pid}.jsonl`);
/** @type {Map<string, number>} */
const counts = new Map();

/** Statement text without the run's schema (so runs compare) and with whitespace folded. */
const normalise = (text) =>
  String(text)
    .replace(/\s+/g, ' ')
    .replace(/"?bench_[a-z0-9]+_[0-9a-f]+"?\./g, '')
    .trim();

let roundTrips = 0;
/** @type {Map<string, number>} */
const trips = new Map();
const unanswered = Symbol('unanswered');

let flushes = 0;
const watched = Symbol('watched');
/** Count the flushes of a client's socket (patched once per connection). */
const watchFlushes = (client) => {
  const stream = client.connection?.stream;
  if (!stream || stream[watched]) return;
  stream[watched] = true;
  for (const method of ['_write', '_writev']) {
    const original = stream[method];
    if (typeof original !== 'function') continue;
    stream[method] = function countedFlush(...args) {
      flushes++;
      return original.apply(this, args);
    };
  }
};

const query = Client.prototype.query;
Client.prototype.query = function countedQuery(config, ...rest) {
  watchFlushes(this);
  const text = typeof config === 'string' ? config : config?.text;
  const key = text ? normalise(text) : '';
  if (text) counts.set(key, (counts.get(key) ?? 0) + 1);
  if (!this.pipeline || !this[unanswered]) {
    roundTrips++;
    trips.set(key, (trips.get(key) ?? 0) + 1);
  }
  this[unanswered] = (this[unanswered] ?? 0) + 1;
  const answered = () => {
    this[unanswered]--;
  };
  // node-postgres answers through a callback (the pool's queries) or a promise.
  const last = rest.length - 1;
  if (typeof rest[last] === 'function') {
    const callback = rest[last];
    rest[last] = (...args) => {
      answered();
      return callback(...args);
    };
    return query.call(this, config, ...rest);
  }
  const result = query.call(this, config, ...rest);
  if (result && typeof result.then === 'function') result.then(answered, answered);
  else answered();
  return result;
};

mkdirSync(dir, { recursive: true });
const line = () =>
  `${JSON.stringify({
    t: Date.now(),
    counts: Object.fromEntries(counts),
    roundTrips,
    trips: Object.fromEntries(trips),
    flushes,
  })}\n`;
const write = () => appendFileSync(file, line());
setInterval(write, 1000).unref();
process.on('exit', write);
process.on('SIGUSR2', () => appendFileSync(file.replace(/\.jsonl$/, '.snap.jsonl'), line()));
