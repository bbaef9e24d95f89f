import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AuthorityRewrite, needsRewrite } from './authority-rewrite.js';
import {
  ACK,
  FrameType,
  HeaderBlockReader,
  Http2FrameReader,
  decodeHeaders,
  newHpackDecoder,
} from './http2-reading.js';

/** An empty SETTINGS frame: the server's connection preface, every setting at its default. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, FrameType.settings, 0, 0, 0, 0, 0]);
/** HTTP/2's initial SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2). */
const DEFAULT_FRAME_BYTES_MAX = 16_384;
/** A client that has not acknowledged our SETTINGS by then is not speaking HTTP/2. */
const ACK_TIMEOUT_MS = 10_000;

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
  // Our SETTINGS left SETTINGS_MAX_FRAME_SIZE at its default: nothing larger may come yet.
  const frames = new Http2FrameReader(DEFAULT_FRAME_BYTES_MAX);
  const blocks = new HeaderBlockReader();
  let acknowledged = false;
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
    if (type === FrameType.settings && (flags & ACK) !== 0 && !acknowledged) {
      acknowledged = true;
      return;
    }
    if (type === FrameType.ping && (flags & ACK) === 0) {
      const pong = Buffer.from(frame);
      pong[4] = ACK;
      socket.write(pong);
      return;
    }
    kept.push(frame);
    if (rewrite !== undefined) return;
    const block = blocks.add(frame);
    if (block === undefined || block === 'more') return;
    rewrite = decodeHeaders(newHpackDecoder(), block).some(
      (header) => header.name === ':authority' && needsRewrite(header.value),
    );
  };

  const onData = (chunk: Buffer) => {
    try {
      kept.push(frames.push(chunk));
      // Copied: kept frames outlive the chunk they came in.
      for (let frame = frames.next(); frame !== undefined; frame = frames.next())
        onFrame(Buffer.from(frame));
    } catch (error) {
      stop(`malformed HTTP/2 opening: ${(error as Error).message}`);
      return;
    }
    if (!acknowledged || rewrite === undefined) return;
    finish();
    const bytes = Buffer.concat([...kept, frames.takeRest()]);
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
