import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import hpack from 'hpack.js';
import type { HeaderBlock } from './http2-reading.js';
import {
  END_HEADERS,
  END_STREAM,
  FRAME_HEADER_BYTES,
  FrameType,
  HEADER_TABLE_BYTES,
  HeaderBlockReader,
  Http2FrameReader,
  decodeHeaders,
  newHpackDecoder,
} from './http2-reading.js';

/**
 * etcdctl 3.4 opens a connection per endpoint for `endpoint status` and `endpoint hashkv` (and for
 * every member with `--cluster`) whose HTTP/2 `:authority` is the whole endpoint URL,
 * `http://127.0.0.1:2379`. Go's HTTP/2 server accepts that; Node's (nghttp2) refuses it as a
 * malformed authority (a `/` is not allowed) and resets the stream before gRPC sees the call.
 *
 * This stream sits between such a client and grpc-js (`http2-opening.ts` puts it there when a
 * connection's first request carries a URL as its authority): it decodes every header block of
 * the connection (HPACK, keeping the client's dynamic table) and re-encodes it with the authority
 * cut to `host:port`. Re-encoded headers are literals that never enter the server's dynamic table,
 * so the server's decoder stays in step whatever the client's encoder did.
 */

/** The smallest SETTINGS_MAX_FRAME_SIZE a peer may set: every HTTP/2 server accepts frames this big. */
const FRAME_PAYLOAD_MAX = 16_384;

/** `http://host:port` (or `https://…`, with or without a trailing `/`) → `host:port`; else as is. */
export function authorityOf(value: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/]*)\/?$/i.exec(value);
  return match?.[1] ?? value;
}

/** Whether nghttp2 would refuse this `:authority` for a reason `authorityOf` repairs. */
export function needsRewrite(value: string): boolean {
  return authorityOf(value) !== value;
}

/**
 * A Duplex over `socket` for grpc-js's connection injector: writes go to the socket as they are;
 * reads are the client's bytes, its header blocks rewritten.
 */
export class AuthorityRewrite extends Duplex {
  private readonly frames = new Http2FrameReader();
  private readonly blocks = new HeaderBlockReader();
  private readonly decoder = newHpackDecoder();
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

  /** The bytes to hand on for `chunk`: frames as they came, header blocks re-encoded. */
  private transform(chunk: Buffer): Buffer {
    const out = [this.frames.push(chunk)];
    for (let frame = this.frames.next(); frame !== undefined; frame = this.frames.next()) {
      const block = this.blocks.add(frame);
      if (block === undefined) out.push(frame);
      else if (block !== 'more') out.push(...this.rewritten(block));
    }
    return Buffer.concat(out);
  }

  private rewritten(block: HeaderBlock): Buffer[] {
    const headers = decodeHeaders(this.decoder, block).map((header) => ({
      name: header.name,
      value: header.name === ':authority' ? authorityOf(header.value) : header.value,
      neverIndex: true,
      huffman: false,
    }));
    this.encoder.write(headers);
    return headerFrames(block.streamId, block.endStream, readAll(this.encoder));
  }
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
    header[3] = first ? FrameType.headers : FrameType.continuation;
    header[4] = (last ? END_HEADERS : 0) | (first && endStream ? END_STREAM : 0);
    header.writeUInt32BE(streamId, 5);
    frames.push(header, piece);
  } while (offset < block.length);
  return frames;
}
