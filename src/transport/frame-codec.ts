import { assert } from '../core/assert.js';

/**
 * The wire frame: `[payload length u32 big-endian][payload]`, the payload one JSON document
 * (UTF-8). Big-endian is network byte order. TCP is a byte stream, so the decoder reassembles
 * frames split across reads and splits reads that carry several frames.
 */
export const FRAME_LENGTH_BYTES = 4;

/** A frame that violates the protocol: the connection that sent it must be closed. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** Encodes a JSON value as one frame; throws FrameError if it is above `frameBytesMax`. */
export function encodeJsonFrame(value: unknown, frameBytesMax: number): Buffer {
  const text = JSON.stringify(value);
  assert(typeof text === 'string', 'message is not JSON-serializable');
  return encodeTextFrame(text, frameBytesMax);
}

/** Encodes JSON text as one frame; throws FrameError if it is above `frameBytesMax`. */
export function encodeTextFrame(text: string, frameBytesMax: number): Buffer {
  const payloadBytes = Buffer.byteLength(text, 'utf8');
  if (payloadBytes > frameBytesMax) {
    throw new FrameError(`frame of ${payloadBytes} bytes exceeds the ${frameBytesMax}-byte limit`);
  }
  const frame = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  frame.write(text, FRAME_LENGTH_BYTES, payloadBytes, 'utf8');
  return frame;
}

/** Parses a frame payload; malformed JSON, or anything but an object, is a FrameError. */
export function decodeJsonObject(payload: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new FrameError(`frame of ${payload.length} bytes is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FrameError('frame payload is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Incremental frame reassembly. Buffers at most one frame (bounded by `frameBytesMax`) plus one
 * read; a length above the limit throws FrameError as soon as the 4 length bytes arrive, before
 * any of the payload is buffered.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Payload length of the frame being reassembled, or -1 while waiting for a length. */
  private payloadBytes = -1;

  constructor(private readonly frameBytesMax: number) {
    assert(frameBytesMax > 0 && frameBytesMax <= 0xffffffff, 'bad frameBytesMax');
  }

  /** Adds bytes from the socket; returns the payloads of every frame they completed. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    const payloads: Buffer[] = [];
    for (;;) {
      if (this.payloadBytes < 0) {
        if (this.bufferedBytes < FRAME_LENGTH_BYTES) break;
        const length = this.take(FRAME_LENGTH_BYTES).readUInt32BE(0);
        if (length > this.frameBytesMax) {
          throw new FrameError(
            `frame of ${length} bytes exceeds the ${this.frameBytesMax}-byte limit`,
          );
        }
        this.payloadBytes = length;
      }
      if (this.bufferedBytes < this.payloadBytes) break;
      payloads.push(this.take(this.payloadBytes));
      this.payloadBytes = -1;
    }
    return payloads;
  }

  private take(bytes: number): Buffer {
    assert(bytes <= this.bufferedBytes, 'take beyond buffered bytes');
    const first = this.chunks[0] as Buffer | undefined;
    let taken: Buffer;
    if (first !== undefined && first.length >= bytes) {
      taken = first.subarray(0, bytes);
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
    } else {
      // The frame spans reads: join them once, when the whole frame is here.
      const joined = Buffer.concat(this.chunks, this.bufferedBytes);
      taken = joined.subarray(0, bytes);
      this.chunks = bytes < joined.length ? [joined.subarray(bytes)] : [];
    }
    this.bufferedBytes -= bytes;
    return taken;
  }
}
