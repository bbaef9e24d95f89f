import {
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
  createServer as createHttpServer,
} from 'node:http';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { type Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { listenEach } from '../transport/listen.js';
import { openHttp2 } from './http2-opening.js';
import type { TlsMaterial } from './tls-files.js';

/** What every HTTP/2 connection sends first (RFC 9113 §3.4); gRPC is HTTP/2. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** How long a new connection may stay silent before it is dropped (HTTP clients speak first). */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

export interface ClientListenerOptions {
  /** Every address to listen on (etcd's --listen-client-urls); port 0 picks a free one. */
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  /** TLS for the port, terminated here so that both protocols can share it; plain when undefined. */
  readonly tls: TlsMaterial | undefined;
  readonly grpc: GrpcServer;
  readonly http: RequestListener<typeof IncomingMessage, typeof ServerResponse>;
  /** A client's TLS handshake failed (no or an untrusted certificate); etcd logs these too. */
  readonly onTlsError: (message: string) => void;
  /** A connection that began as HTTP/2 broke off before its first request was read. */
  readonly onHttp2Error: (message: string) => void;
}

/**
 * The client port serving gRPC and HTTP/1 side by side, as etcd does with cmux: each connection's
 * first bytes decide. The HTTP/2 preface goes to gRPC through grpc-js's connection injector;
 * anything else to the HTTP handler (/health, /version, /metrics). A gRPC connection is opened by
 * `openHttp2`, which repairs the `:authority` etcdctl sends for `endpoint status` when needed.
 */
export class ClientListener {
  private constructor(
    private readonly servers: readonly Server[],
    /** HTTP/1 connections, and gRPC ones not yet handed to grpc-js: this listener closes them. */
    private readonly owned: Set<Socket>,
    /** The ports bound, in the order of the addresses. */
    readonly ports: readonly number[],
  ) {}

  /** The first address's port. */
  get port(): number {
    return this.ports[0]!;
  }

  static async start(options: ClientListenerOptions): Promise<ClientListener> {
    // TLS is terminated by node:tls before the sniff, so gRPC is handed plaintext HTTP/2.
    const injector = options.grpc.createConnectionInjector(ServerCredentials.createInsecure());
    const http = createHttpServer(options.http);
    const owned = new Set<Socket>();
    const dispatch = (socket: Socket) => {
      sniff(socket, (isHttp2) => {
        if (isHttp2) {
          // etcdctl's per-endpoint connections send a URL as :authority, which Node refuses.
          // Held here until grpc-js has it: closed by close() if it never gets that far.
          owned.add(socket);
          socket.once('close', () => owned.delete(socket));
          openHttp2(
            socket,
            (connection) => {
              owned.delete(socket);
              injector.injectConnection(connection);
            },
            (reason) => options.onHttp2Error(reason),
          );
        } else {
          owned.add(socket);
          socket.once('close', () => owned.delete(socket));
          http.emit('connection', socket);
          // node:http reads the socket's handle directly; the sniffed bytes wait in the stream's
          // buffer and flow to the parser's data listener only once the stream is resumed.
          socket.resume();
        }
      });
    };
    const tls = options.tls;
    const servers = options.addresses.map(() => listenerFor(tls, dispatch, options.onTlsError));
    await listenEach(servers, options.addresses, 'clients');
    return new ClientListener(
      servers,
      owned,
      servers.map((server) => (server.address() as AddressInfo).port),
    );
  }

  /** Stops accepting; the connections it owns are closed (gRPC's by the gRPC server). */
  close(): void {
    for (const server of this.servers) server.close();
    for (const socket of this.owned) socket.destroy();
  }
}

function listenerFor(
  tls: TlsMaterial | undefined,
  dispatch: (socket: Socket) => void,
  onTlsError: (message: string) => void,
): Server {
  const server =
    tls === undefined
      ? createNetServer(dispatch)
      : createTlsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: tls.ca,
            requestCert: tls.clientCertAuth,
            rejectUnauthorized: tls.clientCertAuth,
            ALPNCallback: chooseProtocol,
          },
          dispatch,
        );
  server.on('tlsClientError', (error, socket) =>
    onTlsError(
      `rejected connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ${error.message}`,
    ),
  );
  return server;
}

/**
 * gRPC clients offer only h2 (and some insist on it); curl and browsers offer http/1.1 too and
 * are steered to it, so their requests reach the HTTP handler rather than gRPC's HTTP/2 server.
 */
function chooseProtocol({ protocols }: { protocols: string[] }): string | undefined {
  if (protocols.includes('http/1.1')) return 'http/1.1';
  return protocols.includes('h2') ? 'h2' : undefined;
}

/**
 * Reads until the bytes either match the HTTP/2 preface so far in full or diverge from it, puts
 * them back, and reports which protocol the connection speaks.
 */
function sniff(socket: Socket, decided: (isHttp2: boolean) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), FIRST_BYTES_TIMEOUT_MS);
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const compared = Math.min(buffered.length, HTTP2_PREFACE.length);
    const matches = buffered.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
    if (matches && compared < HTTP2_PREFACE.length) return;
    finish();
    decided(matches);
  };
  const finish = () => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    socket.unshift(buffered);
  };
  const onClose = () => clearTimeout(timer);
  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', () => undefined); // the protocol handler that takes it reports its own
}
