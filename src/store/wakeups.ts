import { Observable, Subject } from 'rxjs';
import type { SqlClient, Unlisten } from '../core/sql-client.js';

/**
 * "Something was appended" signals: local commits, plus NOTIFY from other
 * processes while anyone is subscribed. One LISTEN per store, opened on the
 * first subscriber and closed after the last.
 */
export class Wakeups {
  readonly #local = new Subject<void>();
  readonly #sql: SqlClient | undefined;
  readonly #channel: string;
  #subscribers = 0;
  #unlisten: Promise<Unlisten | undefined> | undefined;
  #generation = 0;

  /** Subscribe to wake-ups; emissions carry no data, only "read the log again". */
  readonly signals: Observable<void>;

  constructor(sql: SqlClient | undefined, channel: string) {
    this.#sql = sql;
    this.#channel = channel;
    this.signals = new Observable<void>((subscriber) => {
      const inner = this.#local.subscribe(subscriber);
      if (++this.#subscribers === 1) this.#listen();
      return () => {
        inner.unsubscribe();
        if (--this.#subscribers === 0) void this.#stop();
      };
    });
  }

  /**
   * Counts the wake-ups so far: a read sent after it last changed sees every
   * commit that woke anyone until now (the log reader shares followers' pages
   * within one generation).
   */
  get generation(): number {
    return this.#generation;
  }

  /** Signal a local commit. */
  notify(): void {
    this.#signal();
  }

  #signal(): void {
    this.#generation++;
    this.#local.next();
  }

  /** Stop listening and complete every subscriber. */
  async close(): Promise<void> {
    this.#local.complete();
    await this.#stop();
  }

  #listen(): void {
    const listen = this.#sql?.listen;
    if (!listen) return;
    // A failed LISTEN is not fatal: subscribers still poll.
    this.#unlisten = listen.call(this.#sql, this.#channel, () => this.#signal()).catch(() => undefined);
  }

  async #stop(): Promise<void> {
    const pending = this.#unlisten;
    this.#unlisten = undefined;
    const unlisten = await pending;
    await unlisten?.().catch(() => undefined);
  }
}
