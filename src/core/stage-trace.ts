/**
 * Stage tracing: timestamps of one unit of work (an order, a stream) as it
 * passes the hops of the path from a webhook to a realtime client (append
 * committed, processor applied, delta published, received, written). Off
 * unless a sink is installed: a hop then costs one check of a variable, and
 * the ids it would report are never computed. For finding where latency is
 * spent waiting (`npm run bench -- e2e` with `BENCH_E2E_TRACE=1`), not for
 * production metrics.
 */

/**
 * Receives each traced hop: its stage name, the ids it touched (stream ids,
 * row keys as JSON; free text a reader matches against), and the wall-clock
 * time in milliseconds with sub-millisecond precision (comparable across the
 * processes of one machine).
 *
 * @example
 * ```ts
 * const sink: StageTraceSink = (stage, ids, atMs) => lines.push(`${atMs} ${stage} ${ids.join(' ')}`);
 * ```
 */
export type StageTraceSink = (stage: string, ids: readonly string[], atMs: number) => void;

let sink: StageTraceSink | undefined;

/**
 * Install (or, with `undefined`, remove) the process's stage-trace sink.
 *
 * @example
 * ```ts
 * setStageTraceSink((stage, ids, atMs) => appendFileSync(file, `${atMs} ${stage} ${ids.join(' ')}\n`));
 * ```
 */
export function setStageTraceSink(next: StageTraceSink | undefined): void {
  sink = next;
}

/**
 * Report a hop; `ids` is called only while a sink is installed.
 *
 * @example
 * ```ts
 * traceStage('append.committed', () => batch.map((r) => r.streamId));
 * ```
 */
export function traceStage(stage: string, ids: () => readonly string[]): void {
  if (sink === undefined) return;
  try {
    sink(stage, ids(), performance.timeOrigin + performance.now());
  } catch {
    // Tracing must never break the traced path.
  }
}
