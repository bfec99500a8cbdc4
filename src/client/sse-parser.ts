/**
 * An incremental parser of the `text/event-stream` format (for fetch
 * streaming, where there is no EventSource).
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
  /** A `retry:` field seen with this event, in ms. */
  retry: number | null;
}

/**
 * Feed text chunks, get whole events.
 *
 * @example
 * ```ts
 * const parser = new SseParser();
 * for (const event of parser.push('id: 1:2\nevent: data\ndata: {}\n\n')) handle(event);
 * ```
 */
export class SseParser {
  #buffer = '';
  #id: string | null = null;
  #event = '';
  #data: string[] = [];
  #retry: number | null = null;

  /** Parse a chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) break;
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (this.#data.length > 0 || this.#event !== '') {
          out.push({
            id: this.#id,
            event: this.#event || 'message',
            data: this.#data.join('\n'),
            retry: this.#retry,
          });
        }
        this.#event = '';
        this.#data = [];
        this.#retry = null;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.#data.push(value);
      else if (field === 'event') this.#event = value;
      else if (field === 'id' && !value.includes('\0')) this.#id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.#retry = Number(value);
    }
    return out;
  }
}
