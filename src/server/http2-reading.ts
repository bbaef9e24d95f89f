import hpack from 'hpack.js';

/**
 * Reading a client's side of an HTTP/2 connection (RFC 9113) as far as the client port needs:
 * the connection preface, whole frames, and header blocks (a HEADERS frame and its
 * CONTINUATIONs) decoded with HPACK. Shared by `http2-opening.ts`, which reads a connection's
 * first request, and `authority-rewrite.ts`, which reads every request of the connections it
 * repairs.
 */

export const PREFACE_BYTES = 24;
export const FRAME_HEADER_BYTES = 9;
export const FrameType = { headers: 0x1, settings: 0x4, ping: 0x6, continuation: 0x9 } as const;
/** END_STREAM on HEADERS, ACK on SETTINGS and PING: the same bit. */
export const END_STREAM = 0x1;
export const ACK = 0x1;
export const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** HPACK's default dynamic table size (RFC 7541 §4.2), which grpc-js's server keeps. */
export const HEADER_TABLE_BYTES = 4096;
/** A header block larger than this is refused: far above gRPC's 8 KiB metadata default. */
const HEADER_BLOCK_BYTES_MAX = 1024 * 1024;

const EMPTY: Buffer = Buffer.alloc(0);

/** Splits a client's bytes into the connection preface and whole frames. */
export class Http2FrameReader {
  private buffered: Buffer = EMPTY;
  private prefaceLeft = PREFACE_BYTES;

  /** `frameBytesMax`: a larger frame payload is an error (the peer's SETTINGS_MAX_FRAME_SIZE). */
  constructor(private readonly frameBytesMax = Number.POSITIVE_INFINITY) {}

  /** Adds the client's next bytes; returns those of them that belong to the connection preface. */
  push(chunk: Buffer): Buffer {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let preface: Buffer = EMPTY;
    if (this.prefaceLeft > 0) {
      preface = data.subarray(0, this.prefaceLeft);
      this.prefaceLeft -= preface.length;
      data = data.subarray(preface.length);
    }
    this.buffered = data;
    return preface;
  }

  /** The next whole frame (header and payload), or undefined until one is complete. */
  next(): Buffer | undefined {
    if (this.buffered.length < FRAME_HEADER_BYTES) return undefined;
    const length = this.buffered.readUIntBE(0, 3);
    if (length > this.frameBytesMax)
      throw new Error(`a ${length}-byte frame, over the ${this.frameBytesMax} allowed`);
    const total = FRAME_HEADER_BYTES + length;
    if (this.buffered.length < total) return undefined;
    const frame = this.buffered.subarray(0, total);
    this.buffered = this.buffered.subarray(total);
    return frame;
  }

  /** The bytes of a frame not yet whole, handed over: the reader is left empty. */
  takeRest(): Buffer {
    const rest = this.buffered;
    this.buffered = EMPTY;
    return rest;
  }
}

export interface HeaderBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  /** The HPACK block's pieces, without padding and priority fields. */
  readonly fragments: Buffer[];
  /** The frames that carried it, as they came. */
  readonly frames: Buffer[];
}

/** Gathers a HEADERS frame and the CONTINUATION frames after it into one header block. */
export class HeaderBlockReader {
  private pending: HeaderBlock | undefined;
  private pendingBytes = 0;

  /**
   * Takes a frame: the whole header block once `frame` ends one, `'more'` while one is being
   * gathered, undefined for a frame that is not part of a header block.
   */
  add(frame: Buffer): HeaderBlock | 'more' | undefined {
    const type = frame[3] as number;
    const flags = frame[4] as number;
    if (type === FrameType.headers) {
      this.pending = {
        streamId: frame.readUInt32BE(5) & 0x7fffffff,
        endStream: (flags & END_STREAM) !== 0,
        fragments: [headerFragment(frame.subarray(FRAME_HEADER_BYTES), flags)],
        frames: [frame],
      };
      this.pendingBytes = frame.length;
    } else if (type === FrameType.continuation && this.pending !== undefined) {
      this.pending.fragments.push(frame.subarray(FRAME_HEADER_BYTES));
      this.pending.frames.push(frame);
      this.pendingBytes += frame.length;
    } else {
      return undefined;
    }
    if (this.pendingBytes > HEADER_BLOCK_BYTES_MAX) throw new Error('a header block over 1 MiB');
    if ((flags & END_HEADERS) === 0) return 'more';
    const block = this.pending;
    this.pending = undefined;
    return block;
  }
}

/** The header block fragment of a HEADERS frame's payload: without padding and priority fields. */
function headerFragment(payload: Buffer, flags: number): Buffer {
  let start = 0;
  let end = payload.length;
  if ((flags & PADDED) !== 0) {
    end -= payload[0] ?? 0;
    start += 1;
  }
  if ((flags & PRIORITY) !== 0) start += 5;
  return payload.subarray(start, Math.max(start, end));
}

export type HpackDecoder = ReturnType<typeof hpack.decompressor.create>;

export function newHpackDecoder(): HpackDecoder {
  return hpack.decompressor.create({ table: { size: HEADER_TABLE_BYTES } });
}

/** The block's headers, in order; throws when HPACK cannot decode it. */
export function decodeHeaders(
  decoder: HpackDecoder,
  block: HeaderBlock,
): { name: string; value: string }[] {
  decoder.write(Buffer.concat(block.fragments));
  decoder.execute();
  const headers: { name: string; value: string }[] = [];
  for (let header = decoder.read(); header !== null; header = decoder.read())
    headers.push({ name: header.name, value: header.value });
  return headers;
}
