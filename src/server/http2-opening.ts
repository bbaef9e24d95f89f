import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import hpack from 'hpack.js';
import {
  AuthorityRewrite,
  CONTINUATION,
  END_HEADERS,
  FRAME_HEADER_BYTES,
  HEADER_TABLE_BYTES,
  HEADERS,
  PREFACE_BYTES,
  headerFragment,
  needsRewrite,
} from './authority-rewrite.js';

const SETTINGS = 0x4;
const PING = 0x6;
const ACK = 0x1;
/** An empty SETTINGS frame: the server's connection preface, every setting at its default. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, SETTINGS, 0, 0, 0, 0, 0]);
/** HTTP/2's initial SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2). */
const DEFAULT_FRAME_BYTES_MAX = 16_384;
/** A client that has not acknowledged our SETTINGS by then is not speaking HTTP/2. */
const ACK_TIMEOUT_MS = 10_000;
/** A first header block larger than this is refused (gRPC's metadata limit is 8 KiB). */
const FIRST_BLOCK_BYTES_MAX = 1024 * 1024;

/**
 * Opens a gRPC connection far enough to read its first request's headers, then hands it on: the
 * socket itself, at native speed, for almost every client; through `AuthorityRewrite` when that
 * request's `:authority` is a URL (etcdctl's per-endpoint connections), which costs a JavaScript
 * stream in the data path and so is kept to the connections that need it.
 *
 * Until then this plays the server's first part: it sends an empty SETTINGS frame (clients such
 * as grpc-go wait for the server's preface before their first request), swallows the client's
 * acknowledgement of it (nghttp2 never sent those settings and would take the acknowledgement as
 * its own), and answers PINGs. Everything else the client sent is handed on unchanged, so grpc-js
 * (nghttp2) then sends its own SETTINGS, which the client applies as an update.
 */
export function openHttp2(
  socket: Socket,
  ready: (connection: Duplex) => void,
  failed: (reason: string) => void,
): void {
  const kept: Buffer[] = [];
  let buffered: Buffer = Buffer.alloc(0);
  let prefaceLeft = PREFACE_BYTES;
  let acknowledged = false;
  let block: Buffer[] | undefined;
  let blockBytes = 0;
  let rewrite: boolean | undefined;
  const timer = setTimeout(() => {
    if (!acknowledged) stop(`no acknowledgement of the server's SETTINGS in ${ACK_TIMEOUT_MS} ms`);
  }, ACK_TIMEOUT_MS);

  const stop = (reason: string) => {
    finish();
    failed(reason);
    socket.destroy();
  };
  const finish = () => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
  };
  const onClose = () => clearTimeout(timer);

  const onFrame = (frame: Buffer): void => {
    const type = frame[3] as number;
    const flags = frame[4] as number;
    if (type === SETTINGS && (flags & ACK) !== 0 && !acknowledged) {
      acknowledged = true;
      return;
    }
    if (type === PING && (flags & ACK) === 0) {
      const pong = Buffer.from(frame);
      pong[4] = ACK;
      socket.write(pong);
      return;
    }
    kept.push(frame);
    if (rewrite !== undefined) return;
    if (type === HEADERS) block = [headerFragment(frame.subarray(FRAME_HEADER_BYTES), flags)];
    else if (type === CONTINUATION && block !== undefined)
      block.push(frame.subarray(FRAME_HEADER_BYTES));
    else return;
    blockBytes += frame.length;
    if (blockBytes > FIRST_BLOCK_BYTES_MAX) throw new Error('a first header block over 1 MiB');
    if ((flags & END_HEADERS) === 0) return;
    const decoder = hpack.decompressor.create({ table: { size: HEADER_TABLE_BYTES } });
    decoder.write(Buffer.concat(block));
    decoder.execute();
    rewrite = false;
    for (let header = decoder.read(); header !== null; header = decoder.read())
      if (header.name === ':authority') rewrite = needsRewrite(header.value);
  };

  const onData = (chunk: Buffer) => {
    let data = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (prefaceLeft > 0) {
      const preface = data.subarray(0, prefaceLeft);
      kept.push(preface);
      prefaceLeft -= preface.length;
      data = data.subarray(preface.length);
    }
    let offset = 0;
    try {
      while (data.length - offset >= FRAME_HEADER_BYTES) {
        const length = data.readUIntBE(offset, 3);
        // Our SETTINGS left SETTINGS_MAX_FRAME_SIZE at its default: nothing larger may come yet.
        if (length > DEFAULT_FRAME_BYTES_MAX)
          throw new Error(`a ${length}-byte frame, over the ${DEFAULT_FRAME_BYTES_MAX} allowed`);
        const total = FRAME_HEADER_BYTES + length;
        if (data.length - offset < total) break;
        onFrame(Buffer.from(data.subarray(offset, offset + total)));
        offset += total;
      }
    } catch (error) {
      stop(`malformed HTTP/2 opening: ${(error as Error).message}`);
      return;
    }
    buffered = Buffer.from(data.subarray(offset));
    if (!acknowledged || rewrite === undefined) return;
    finish();
    const bytes = Buffer.concat([...kept, buffered]);
    if (rewrite) {
      ready(new AuthorityRewrite(socket, bytes));
    } else {
      socket.unshift(bytes);
      ready(socket);
    }
  };

  socket.on('data', onData);
  socket.on('close', onClose);
  socket.write(EMPTY_SETTINGS);
  socket.resume(); // paused by the sniff, with the preface put back
}
