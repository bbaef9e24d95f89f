import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import hpack from 'hpack.js';

/**
 * etcdctl 3.4 opens a connection per endpoint for `endpoint status` and `endpoint hashkv` (and for
 * every member with `--cluster`) whose HTTP/2 `:authority` is the whole endpoint URL,
 * `http://127.0.0.1:2379`. Go's HTTP/2 server accepts that; Node's (nghttp2) refuses it as a
 * malformed authority (a `/` is not allowed) and resets the stream before gRPC sees the call.
 *
 * This stream sits between such a client and grpc-js: it reads the client's HTTP/2 frames and, on
 * a connection whose first request carries a URL as its authority, decodes every header block
 * (HPACK, keeping the client's dynamic table) and re-encodes it with the authority cut to
 * `host:port`. Re-encoded headers are literals that never enter the server's dynamic table, so the
 * server's decoder stays in step whatever the client's encoder did. A connection whose first
 * authority is well-formed (every other client) is passed through untouched from then on.
 */

export const PREFACE_BYTES = 24;
export const FRAME_HEADER_BYTES = 9;
export const HEADERS = 0x1;
export const CONTINUATION = 0x9;
const END_STREAM = 0x1;
export const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** The smallest SETTINGS_MAX_FRAME_SIZE a peer may set: every HTTP/2 server accepts frames this big. */
const FRAME_PAYLOAD_MAX = 16_384;
/** HPACK's default dynamic table size (RFC 7541 §4.2), which grpc-js's server keeps. */
export const HEADER_TABLE_BYTES = 4096;
/** A header block larger than this is refused: far above gRPC's 8 KiB metadata default. */
const HEADER_BLOCK_BYTES_MAX = 1024 * 1024;

type Mode = 'undecided' | 'pass' | 'rewrite';

/** `http://host:port` (or `https://…`, with or without a trailing `/`) → `host:port`; else as is. */
export function authorityOf(value: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/]*)\/?$/i.exec(value);
  return match?.[1] ?? value;
}

/** Whether nghttp2 would refuse this `:authority` for a reason `authorityOf` repairs. */
export function needsRewrite(value: string): boolean {
  return authorityOf(value) !== value;
}

interface PendingBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly fragments: Buffer[];
  readonly raw: Buffer[];
  bytes: number;
}

/**
 * A Duplex over `socket` for grpc-js's connection injector: writes go to the socket as they are;
 * reads are the client's bytes, header blocks rewritten when the connection needs it.
 */
export class AuthorityRewrite extends Duplex {
  private mode: Mode = 'undecided';
  private buffered: Buffer = Buffer.alloc(0);
  private prefaceLeft = PREFACE_BYTES;
  private pending: PendingBlock | undefined;
  private readonly decoder = hpack.decompressor.create({ table: { size: HEADER_TABLE_BYTES } });
  private readonly encoder = hpack.compressor.create({ table: { size: HEADER_TABLE_BYTES } });

  /** `initial`: bytes already read from the socket, from the connection preface on. */
  constructor(
    private readonly socket: Socket,
    initial?: Buffer,
  ) {
    super({ allowHalfOpen: false });
    const take = (chunk: Buffer) => {
      let bytes: Buffer;
      try {
        bytes = this.transform(chunk);
      } catch (error) {
        // A header block HPACK cannot decode: the connection is broken, as nghttp2 would judge.
        this.destroy(new Error(`malformed HTTP/2 header block: ${(error as Error).message}`));
        return;
      }
      if (!this.push(bytes)) socket.pause();
    };
    if (initial !== undefined && initial.length > 0) take(initial);
    socket.on('data', take);
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (error) => this.destroy(error));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    this.socket.write(chunk, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.socket.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.socket.destroy();
    done(error);
  }

  /** A method, not a field read, so the compiler does not narrow it across `onFrame`'s change. */
  private passing(): boolean {
    return this.mode === 'pass';
  }

  /** The bytes to hand on for `chunk`: as they came, or with header blocks re-encoded. */
  private transform(chunk: Buffer): Buffer {
    if (this.passing()) return chunk;
    const out: Buffer[] = [];
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.prefaceLeft > 0) {
      const preface = data.subarray(0, this.prefaceLeft);
      out.push(preface);
      this.prefaceLeft -= preface.length;
      data = data.subarray(preface.length);
    }
    let offset = 0;
    while (!this.passing() && data.length - offset >= FRAME_HEADER_BYTES) {
      const length = data.readUIntBE(offset, 3);
      const total = FRAME_HEADER_BYTES + length;
      if (data.length - offset < total) break;
      const frame = data.subarray(offset, offset + total);
      offset += total;
      out.push(...this.onFrame(frame));
    }
    const rest = data.subarray(offset);
    if (this.passing()) {
      out.push(rest);
      this.buffered = Buffer.alloc(0);
    } else {
      this.buffered = Buffer.from(rest);
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  private onFrame(frame: Buffer): Buffer[] {
    const type = frame[3] as number;
    const flags = frame[4] as number;
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    if (type === HEADERS) {
      const fragment = headerFragment(frame.subarray(FRAME_HEADER_BYTES), flags);
      this.pending = {
        streamId,
        endStream: (flags & END_STREAM) !== 0,
        fragments: [fragment],
        raw: [frame],
        bytes: fragment.length,
      };
    } else if (type === CONTINUATION && this.pending !== undefined) {
      const fragment = frame.subarray(FRAME_HEADER_BYTES);
      this.pending.fragments.push(fragment);
      this.pending.raw.push(frame);
      this.pending.bytes += fragment.length;
    } else {
      return [frame];
    }
    if (this.pending.bytes > HEADER_BLOCK_BYTES_MAX) {
      this.destroy(new Error('a header block larger than 1 MiB'));
      return [];
    }
    if ((flags & END_HEADERS) === 0) return [];
    const block = this.pending;
    this.pending = undefined;
    return this.onHeaderBlock(block);
  }

  private onHeaderBlock(block: PendingBlock): Buffer[] {
    const headers = this.decode(Buffer.concat(block.fragments));
    if (this.mode === 'undecided') {
      const authority = headers.find((header) => header.name === ':authority');
      this.mode = authority !== undefined && needsRewrite(authority.value) ? 'rewrite' : 'pass';
      if (this.mode === 'pass') return block.raw;
    }
    const rewritten = headers.map((header) => ({
      name: header.name,
      value: header.name === ':authority' ? authorityOf(header.value) : header.value,
      neverIndex: true,
      huffman: false,
    }));
    this.encoder.write(rewritten);
    const encoded = readAll(this.encoder);
    return headerFrames(block.streamId, block.endStream, encoded);
  }

  private decode(block: Buffer): { name: string; value: string }[] {
    this.decoder.write(block);
    this.decoder.execute();
    const headers: { name: string; value: string }[] = [];
    for (;;) {
      const header = this.decoder.read() as { name: string; value: string } | null;
      if (header === null) return headers;
      headers.push(header);
    }
  }
}

/** The header block fragment of a HEADERS frame's payload: without padding and priority fields. */
export function headerFragment(payload: Buffer, flags: number): Buffer {
  let start = 0;
  let end = payload.length;
  if ((flags & PADDED) !== 0) {
    end -= payload[0] ?? 0;
    start += 1;
  }
  if ((flags & PRIORITY) !== 0) start += 5;
  return payload.subarray(start, Math.max(start, end));
}

function readAll(stream: { read(): Buffer | null }): Buffer {
  const parts: Buffer[] = [];
  for (let part = stream.read(); part !== null; part = stream.read()) parts.push(part);
  return Buffer.concat(parts);
}

/** One HEADERS frame, and CONTINUATION frames when the block exceeds one frame. */
function headerFrames(streamId: number, endStream: boolean, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let offset = 0;
  do {
    const piece = block.subarray(offset, offset + FRAME_PAYLOAD_MAX);
    const first = offset === 0;
    offset += piece.length;
    const last = offset >= block.length;
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUIntBE(piece.length, 0, 3);
    header[3] = first ? HEADERS : CONTINUATION;
    header[4] = (last ? END_HEADERS : 0) | (first && endStream ? END_STREAM : 0);
    header.writeUInt32BE(streamId, 5);
    frames.push(header, piece);
  } while (offset < block.length);
  return frames;
}
