import { JsonJoiner, JsonPieceError, jsonPieces } from '../core/json-pieces.js';
import { encodeTextFrame, FrameError } from './frame-codec.js';

/**
 * A message sent in pieces (one that carries a snapshot): each piece of `jsonPieces` travels in a
 * frame of its own, `[stream, index, piece]` — a JSON array, where every ordinary message frame is
 * a JSON object, so the receiver tells them apart by the payload's first byte. The sender makes
 * one piece at a time, when the socket has room, and sends the ordinary messages queued meanwhile
 * first: heartbeats keep flowing while a snapshot of hundreds of megabytes crosses, and neither
 * side stringifies or parses the whole message at once.
 */
export class OutgoingPieces {
  private readonly pieces: Iterator<string, void, undefined>;
  private index = 0;

  constructor(
    readonly stream: number,
    message: unknown,
  ) {
    this.pieces = jsonPieces(message);
  }

  /** The next piece's frame; undefined after the last. Throws FrameError above `frameBytesMax`. */
  nextFrame(frameBytesMax: number): Buffer | undefined {
    const next = this.pieces.next();
    if (next.done === true) return undefined;
    const text = `[${this.stream},${this.index++},${next.value}]`;
    return encodeTextFrame(text, frameBytesMax);
  }
}

/** Whether a frame payload is a piece (a JSON array) rather than a message (an object). */
export function isPieceFrame(payload: Buffer): boolean {
  return payload[0] === 0x5b; // '['
}

/**
 * The receiving half, one per connection: joins the pieces of one message at a time and hands back
 * the message when its last piece arrives. A piece out of order, a malformed one, or a message
 * above `streamBytesMax` is a FrameError, and the connection that sent it is closed. A new stream
 * that starts before the last one ended replaces it (its sender gave up on it).
 */
export class IncomingPieces {
  private stream: number | undefined;
  private nextIndex = 0;
  private bytes = 0;
  private joiner = new JsonJoiner();

  constructor(private readonly streamBytesMax: number) {}

  /** Takes one piece frame's payload; returns the whole message once complete. */
  accept(payload: Buffer): Record<string, unknown> | undefined {
    let frame: unknown;
    try {
      frame = JSON.parse(payload.toString('utf8'));
    } catch {
      throw new FrameError(`piece frame of ${payload.length} bytes is not valid JSON`);
    }
    if (!Array.isArray(frame) || frame.length !== 3)
      throw new FrameError('a piece frame must be [stream, index, piece]');
    const [stream, index, piece] = frame as [unknown, unknown, unknown];
    if (!isCount(stream) || !isCount(index))
      throw new FrameError('a piece frame needs a stream number and an index');
    if (index === 0) this.begin(stream);
    else if (stream !== this.stream || index !== this.nextIndex)
      throw new FrameError(
        `piece ${index} of stream ${stream} out of order (expected piece ${this.nextIndex} of stream ${this.stream ?? 'none'})`,
      );
    this.bytes += payload.length;
    if (this.bytes > this.streamBytesMax)
      throw new FrameError(`a message in pieces exceeds the ${this.streamBytesMax}-byte limit`);
    this.nextIndex++;
    try {
      this.joiner.push(piece);
    } catch (error) {
      if (error instanceof JsonPieceError) throw new FrameError(`bad piece: ${error.message}`);
      throw error;
    }
    if (!this.joiner.done) return undefined;
    const message = this.joiner.result();
    this.stream = undefined;
    this.joiner = new JsonJoiner();
    if (typeof message !== 'object' || message === null || Array.isArray(message))
      throw new FrameError('a message in pieces is not a JSON object');
    return message as Record<string, unknown>;
  }

  private begin(stream: number): void {
    this.stream = stream;
    this.nextIndex = 0;
    this.bytes = 0;
    this.joiner = new JsonJoiner();
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
