/**
 * Probe (not part of `npm run bench`): the cost of `isStorableText`, which
 * every append runs on its stream id, event types, aggregate type and
 * idempotency key (src/store/prepare-append.ts) and every stream read on its
 * id, against the regex it replaced (`/[\0\p{Cs}]/u`, kept here as the
 * reference). CPU ns per call (process.cpuUsage, so a busy machine's waits do
 * not count), the median of interleaved rounds, on names of the lengths the
 * end-to-end path appends with.
 *
 * Run: `npx tsx benchmarks/probe/storable-text.ts` (BENCH_ROUNDS, default 7;
 * BENCH_CALLS per round, default 2,000,000).
 */
import { isStorableText } from '../../src/core/storable-text.js';
import { emit, median, round } from '../support/stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 2_000_000);

/** The check before: a NUL or a lone surrogate (`\p{Cs}` matches only unpaired halves under `u`). */
const UNSTORABLE_CHARACTER = /[\0\p{Cs}]/u;
const regexCheck = (text: string): boolean => !UNSTORABLE_CHARACTER.test(text);

/** Names as the end-to-end path appends them (built at run time, as the hosts build theirs). */
const id = String(9_700_000_000_000_000 + Math.floor(Math.random() * 1e6));
const NAMES: Record<string, string> = {
  event_type: ['Order', 'Status', 'Changed'].join(''),
  stream_id: `tiktok-order-${id}`,
  idempotency_key: `tiktok:notification:${id}:AWAITING_SHIPMENT`,
  long_200: 'x'.repeat(200),
  non_ascii: `commande-${id}-é-\u{1F600}`,
};

/** CPU ns per call of `check` on `text`. */
function nsPerCall(check: (text: string) => boolean, text: string): number {
  let kept = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) if (check(text)) kept++;
  const used = process.cpuUsage(before);
  if (kept !== CALLS) throw new Error(`"${text}" was judged unstorable`);
  return ((used.user + used.system) * 1000) / CALLS;
}

const results: Record<string, { regex_ns: number; now_ns: number; ratio: number }> = {};
for (const [name, text] of Object.entries(NAMES)) {
  if (regexCheck(text) !== isStorableText(text)) throw new Error(`the checks disagree on "${text}"`);
  const before: number[] = [];
  const now: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    before.push(nsPerCall(regexCheck, text));
    now.push(nsPerCall(isStorableText, text));
  }
  const b = median(before);
  const n = median(now);
  results[name] = { regex_ns: round(b, 1), now_ns: round(n, 1), ratio: round(n / b, 2) };
}
emit({ name: 'probe.storable_text', rounds: ROUNDS, calls: CALLS, ...results });
