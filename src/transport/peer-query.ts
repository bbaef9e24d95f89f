import { decodeJsonObject, encodeJsonFrame, FrameDecoder, FrameError } from './frame-codec.js';
import type { Query } from './handshake.js';
import { PROTOCOL_VERSION } from './handshake.js';
import type { PeerAddress } from './peer-link.js';
import type { PeerTlsOptions } from './peer-tls.js';
import { dialPeer } from './peer-tls.js';

/**
 * Asks the node at `address` one question on its peer port (see `Query` in handshake.ts) and
 * resolves with its answer; rejects with the reason when it cannot be reached, does not answer in
 * `timeoutMs`, or answers something that is not an answer. With `tls` it dials TLS, as the peer
 * transport does.
 */
export function queryPeer(
  address: PeerAddress,
  query: Record<string, unknown>,
  options: {
    readonly timeoutMs: number;
    readonly frameBytesMax: number;
    readonly tls?: PeerTlsOptions | undefined;
  },
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = dialPeer(address.host, address.port, options.tls, () => {
      const frame: Query = { synod: 'query', protocolVersion: PROTOCOL_VERSION, query };
      socket.write(encodeJsonFrame(frame, options.frameBytesMax));
    });
    const decoder = new FrameDecoder(options.frameBytesMax);
    const where = `${address.host}:${address.port}`;
    let settled = false;
    const finish = (error: Error | undefined, answer?: Record<string, unknown>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(answer as Record<string, unknown>);
    };
    const timer = setTimeout(
      () => finish(new Error(`${where} did not answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const payload of decoder.push(chunk)) {
          const value = decodeJsonObject(payload);
          const answer = value.answer;
          if (value.synod !== 'answer' || typeof answer !== 'object' || answer === null)
            finish(new Error(`${where} answered with something other than an answer`));
          else finish(undefined, answer as Record<string, unknown>);
        }
      } catch (error) {
        if (!(error instanceof FrameError)) throw error;
        finish(new Error(`${where} sent a bad frame: ${error.message}`));
      }
    });
    socket.on('error', (error) => finish(new Error(`cannot reach ${where}: ${error.message}`)));
    socket.on('close', () => finish(new Error(`${where} closed the connection without answering`)));
  });
}
