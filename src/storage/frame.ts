import { assert } from '../core/assert.js';
import { crc32c } from './crc32c.js';

/**
 * The on-disk frame shared by WAL segments and snapshot files:
 *
 *   [payload length u32 LE][crc32c u32 LE][type u8][payload]
 *
 * The CRC covers the length field, the type byte and the payload, so a flipped bit in the length of
 * a complete frame is caught too. Little-endian because every machine we run on is, and the format
 * is ours.
 */
export const FRAME_HEADER_BYTES = 9;

/** Frame types. 0 is never written, so a zero-filled region never parses as a valid frame. */
export const FrameType = {
  segmentHeader: 1,
  record: 2,
  snapshotHeader: 3,
  snapshotEnd: 4,
  /** A JSON array of records: snapshots frame records in chunks, which halves the cost per record. */
  snapshotChunk: 5,
  /** One piece of a record too large for one frame (src/core/json-pieces.ts). */
  snapshotPiece: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const knownTypes = new Set<number>(Object.values(FrameType));

function frameChecksum(buffer: Uint8Array, offset: number, payloadBytes: number): number {
  const afterLength = crc32c(buffer, 0, offset, offset + 4);
  const afterType = crc32c(buffer, afterLength, offset + 8, offset + 9);
  return crc32c(
    buffer,
    afterType,
    offset + FRAME_HEADER_BYTES,
    offset + FRAME_HEADER_BYTES + payloadBytes,
  );
}

/**
 * Encodes JSON values as frames of one type into a single Buffer, so a whole batch reaches the
 * kernel in one write. Throws an AssertionError for a value JSON cannot represent (undefined, a
 * function) or a payload above `payloadBytesMax`.
 */
export function encodeJsonFrames(
  type: FrameType,
  values: readonly unknown[],
  payloadBytesMax: number,
): Buffer {
  const texts: string[] = new Array<string>(values.length);
  const sizes: number[] = new Array<number>(values.length);
  let total = 0;
  for (let index = 0; index < values.length; index++) {
    const text = JSON.stringify(values[index]);
    assert(typeof text === 'string', `record ${index} is not JSON-serializable`);
    const size = Buffer.byteLength(text, 'utf8');
    assert(size <= payloadBytesMax, `record of ${size} bytes exceeds ${payloadBytesMax}`);
    texts[index] = text;
    sizes[index] = size;
    total += FRAME_HEADER_BYTES + size;
  }
  const buffer = Buffer.allocUnsafe(total);
  let offset = 0;
  for (let index = 0; index < values.length; index++) {
    const size = sizes[index] as number;
    buffer.writeUInt32LE(size, offset);
    buffer.writeUInt8(type, offset + 8);
    buffer.write(texts[index] as string, offset + FRAME_HEADER_BYTES, size, 'utf8');
    buffer.writeUInt32LE(frameChecksum(buffer, offset, size), offset + 4);
    offset += FRAME_HEADER_BYTES + size;
  }
  assert(offset === total, 'frame encoding size mismatch');
  return buffer;
}

/** Encodes one frame whose payload is `text`, already known to be `payloadBytes` of UTF-8. */
export function encodeTextFrame(type: FrameType, text: string, payloadBytes: number): Buffer {
  const buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  buffer.writeUInt32LE(payloadBytes, 0);
  buffer.writeUInt8(type, 8);
  const written = buffer.write(text, FRAME_HEADER_BYTES, payloadBytes, 'utf8');
  assert(written === payloadBytes, 'frame payload size mismatch');
  buffer.writeUInt32LE(frameChecksum(buffer, 0, payloadBytes), 4);
  return buffer;
}

export interface Frame {
  readonly type: FrameType;
  /** Offset of the frame header within the scanned buffer. */
  readonly offset: number;
  readonly payload: Buffer;
}

/**
 * Why a scan stopped before the end of the buffer. `incomplete` frames run past the end (the shape
 * of a write cut short by a crash); `damaged` frames are complete but fail their checks.
 */
export type ScanStop =
  | { readonly kind: 'incomplete'; readonly offset: number; readonly reason: string }
  | {
      readonly kind: 'damaged';
      readonly offset: number;
      readonly frameEnd: number;
      readonly reason: string;
    };

export interface ScanResult {
  readonly frames: Frame[];
  /** Bytes from the start that hold whole, valid frames. */
  readonly validBytes: number;
  /** Undefined when every byte belonged to a valid frame. */
  readonly stop?: ScanStop;
}

/** Reads valid frames from the start of `buffer` and stops at the first problem. */
export function scanFrames(buffer: Buffer, payloadBytesMax: number): ScanResult {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const remaining = buffer.length - offset;
    if (remaining < FRAME_HEADER_BYTES) {
      const reason = `${remaining}-byte fragment of a frame header`;
      return { frames, validBytes: offset, stop: { kind: 'incomplete', offset, reason } };
    }
    const payloadBytes = buffer.readUInt32LE(offset);
    const frameEnd = offset + FRAME_HEADER_BYTES + payloadBytes;
    if (frameEnd > buffer.length) {
      const reason = `frame of ${payloadBytes} payload bytes runs past the end of the file`;
      return { frames, validBytes: offset, stop: { kind: 'incomplete', offset, reason } };
    }
    const problem = frameProblem(buffer, offset, payloadBytes, payloadBytesMax);
    if (problem !== undefined) {
      return {
        frames,
        validBytes: offset,
        stop: { kind: 'damaged', offset, frameEnd, reason: problem },
      };
    }
    const type = buffer.readUInt8(offset + 8) as FrameType;
    frames.push({ type, offset, payload: buffer.subarray(offset + FRAME_HEADER_BYTES, frameEnd) });
    offset = frameEnd;
  }
  return { frames, validBytes: offset };
}

/**
 * `scanFrames` over a file read a chunk at a time, so a large file (a snapshot) never sits in
 * memory whole. Chunks are joined only once they hold the whole next frame (its length is in its
 * header), so a frame larger than a chunk costs one copy, not one per chunk.
 */
export class FrameStream {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next scan can make progress. */
  private needed = FRAME_HEADER_BYTES;
  /** File offset of the first buffered byte. */
  private offset = 0;

  constructor(private readonly payloadBytesMax: number) {}

  /** The frames the chunk completed (offsets in the file), or where the data is damaged. */
  push(chunk: Buffer): { frames: Frame[]; damaged?: ScanStop } {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return { frames: [] };
    const buffer =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const scan = scanFrames(buffer, this.payloadBytesMax);
    const frames = scan.frames.map((frame) => ({ ...frame, offset: frame.offset + this.offset }));
    if (scan.stop?.kind === 'damaged') {
      const stop = scan.stop;
      return {
        frames,
        damaged: {
          ...stop,
          offset: stop.offset + this.offset,
          frameEnd: stop.frameEnd + this.offset,
        },
      };
    }
    const rest = buffer.subarray(scan.validBytes);
    this.offset += scan.validBytes;
    this.chunks = rest.length === 0 ? [] : [rest];
    this.buffered = rest.length;
    this.needed = FRAME_HEADER_BYTES;
    if (rest.length >= FRAME_HEADER_BYTES) {
      const payloadBytes = rest.readUInt32LE(0);
      if (payloadBytes > this.payloadBytesMax) {
        const reason = `payload of ${payloadBytes} bytes exceeds the limit`;
        const at = this.offset;
        return { frames, damaged: { kind: 'damaged', offset: at, frameEnd: at, reason } };
      }
      this.needed = FRAME_HEADER_BYTES + payloadBytes;
    }
    return { frames };
  }

  /** At the end of the file: what is left is a frame cut short, if anything. */
  finish(): ScanStop | undefined {
    if (this.buffered === 0) return undefined;
    const reason = `${this.buffered} bytes of an incomplete frame at the end of the file`;
    return { kind: 'incomplete', offset: this.offset, reason };
  }
}

function frameProblem(
  buffer: Buffer,
  offset: number,
  payloadBytes: number,
  payloadBytesMax: number,
): string | undefined {
  const stored = buffer.readUInt32LE(offset + 4);
  if (stored !== frameChecksum(buffer, offset, payloadBytes)) {
    return `checksum mismatch (stored ${hex(stored)}, computed ${hex(frameChecksum(buffer, offset, payloadBytes))})`;
  }
  if (payloadBytes > payloadBytesMax) return `payload of ${payloadBytes} bytes exceeds the limit`;
  const type = buffer.readUInt8(offset + 8);
  if (!knownTypes.has(type)) return `unknown frame type ${type}`;
  return undefined;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** True when every byte of `buffer` from `offset` on is zero (a preallocated or unwritten tail). */
export function isZeroFrom(buffer: Buffer, offset: number): boolean {
  for (let index = offset; index < buffer.length; index++) if (buffer[index] !== 0) return false;
  return true;
}

export function parseJsonPayload(frame: Frame): unknown {
  return JSON.parse(frame.payload.toString('utf8'));
}

/**
 * The offset of the first complete, valid frame starting at or after `from`, if any. Recovery
 * uses it to tell a frame cut short by a crash (nothing valid after it) from a damaged length field
 * in the middle of the log (valid frames follow). A frame header cannot hide inside a JSON payload:
 * JSON text has no bytes below 0x20, so any length read from it is at least 0x20202020, far beyond
 * `payloadBytesMax`.
 */
export function findValidFrame(
  buffer: Buffer,
  from: number,
  payloadBytesMax: number,
): number | undefined {
  for (let offset = from; offset + FRAME_HEADER_BYTES <= buffer.length; offset++) {
    const payloadBytes = buffer.readUInt32LE(offset);
    if (payloadBytes > payloadBytesMax) continue;
    if (offset + FRAME_HEADER_BYTES + payloadBytes > buffer.length) continue;
    if (frameProblem(buffer, offset, payloadBytes, payloadBytesMax) === undefined) return offset;
  }
  return undefined;
}
