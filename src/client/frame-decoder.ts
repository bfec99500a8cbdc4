/**
 * Frames of one connection as envelopes, stopping at the first one the
 * client cannot apply: the connection is then ended and resumed from the
 * last message applied, so no later message's cursor moves past it.
 * Browser-safe.
 */
import { type Envelope, decodeEnvelope } from '../core/envelope.js';

/**
 * A decoder for one connection's frames: the envelope, or undefined for a
 * malformed frame (`onMalformed` is called once, with the error) and for
 * every frame after it.
 *
 * @example
 * ```ts
 * const decode = frameDecoder((err) => socket.close(4000, String(err)));
 * socket.onmessage = (ev) => { const envelope = decode(ev.data); if (envelope) receive(envelope); };
 * ```
 */
export function frameDecoder(onMalformed: (err: unknown) => void): (data: unknown) => Envelope | undefined {
  let malformed = false;
  return (data) => {
    if (malformed) return undefined;
    try {
      return decodeEnvelope(typeof data === 'string' ? data : String(data));
    } catch (err) {
      malformed = true;
      onMalformed(err);
      return undefined;
    }
  };
}
