import type { Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';

/**
 * TLS for peer connections, as etcd's --peer-* flags configure it: this member's certificate and
 * key (presented when accepting and, as a client certificate, when dialing), the CA bundle that
 * peers' certificates must chain to, and whether an accepting member demands a client
 * certificate. PEM contents, already read and checked by the caller.
 */
export interface PeerTlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Trusted CAs; undefined means the system's roots, as with etcd. */
  readonly ca: Buffer | undefined;
  /** etcd's --peer-client-cert-auth: refuse a dialer without a certificate from `ca`. */
  readonly clientCertAuth: boolean;
  /** --peer-auto-tls: encrypt, but accept any certificate (each member's is self-signed). */
  readonly skipVerify?: boolean;
}

/**
 * Dials plain TCP or TLS. `onReady` fires once the stream can carry the handshake: on `connect`
 * for TCP, on `secureConnect` (the peer's certificate verified) for TLS.
 */
export function dialPeer(
  host: string,
  port: number,
  tls: PeerTlsOptions | undefined,
  onReady: () => void,
): Socket {
  if (tls === undefined) {
    const socket = netConnect({ host, port });
    socket.on('connect', onReady);
    return socket;
  }
  const socket: TLSSocket = tlsConnect({
    host,
    port,
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    rejectUnauthorized: tls.skipVerify !== true,
  });
  socket.on('secureConnect', onReady);
  return socket;
}

/** Errors that mean the peer's certificate was not trusted, not that the peer was unreachable. */
export function isCertificateError(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return (
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL/.test(code) ||
    /certificate|self.signed/i.test(error.message)
  );
}
