import type { Socket } from 'node:net';
import type { NodeId } from '../core/ids.js';
import { decodeJsonObject, encodeJsonFrame, FrameDecoder, FrameError } from './frame-codec.js';
import type { Admission, LocalIdentity, QueryAnswer, Refusal, Welcome } from './handshake.js';
import { checkHello, PROTOCOL_VERSION } from './handshake.js';
import { IncomingPieces, isPieceFrame } from './piece-stream.js';
import type { TransportLimits, TransportStats } from './transport-limits.js';
import type { TransportLogger } from './transport-logger.js';

export interface InboundContext {
  readonly local: LocalIdentity;
  readonly limits: TransportLimits;
  readonly stats: TransportStats;
  readonly logger: TransportLogger;
  /** Called once the hello is accepted. */
  readonly onEstablished: (connection: InboundConnection) => void;
  readonly onMessage: (from: NodeId, message: Record<string, unknown>) => void;
  /** Refuses a node this cluster knows must not connect (one removed from the membership). */
  readonly admit?: (nodeId: NodeId) => Admission | undefined;
  /** Answers a `query` first frame; without it queries are refused. */
  readonly onQuery?: (query: Record<string, unknown>) => Record<string, unknown>;
  /** Bytes read from an identified peer, for etcd_network_peer_received_bytes_total. */
  readonly countReceived?: (peerId: NodeId, bytes: number) => void;
}

/** How long a refused dialer gets to read the refusal before the socket is destroyed. */
const REFUSAL_LINGER_MS = 1000;

/**
 * An accepted connection: checks the dialer's hello, answers, then delivers each frame as a
 * message from the peer. An oversized or malformed frame, or a hello that does not match this
 * cluster, closes the connection with the reason logged; nothing a peer sends can throw out of
 * here.
 */
export class InboundConnection {
  private peerId: NodeId | undefined;
  private readonly decoder: FrameDecoder;
  private readonly pieces: IncomingPieces;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    private readonly context: InboundContext,
  ) {
    this.decoder = new FrameDecoder(context.limits.frameBytesMax);
    this.pieces = new IncomingPieces(context.limits.streamBytesMax);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.handshakeTimer = setTimeout(() => {
      this.context.logger.warn(`closing connection from ${this.remote()}: no hello in time`);
      socket.destroy();
    }, context.limits.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => {
      this.context.logger.info(`connection from ${this.remote()} failed: ${error.message}`);
    });
    socket.on('close', () => clearTimeout(this.handshakeTimer));
  }

  get nodeId(): NodeId | undefined {
    return this.peerId;
  }

  close(): void {
    clearTimeout(this.handshakeTimer);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.peerId !== undefined) this.context.countReceived?.(this.peerId, chunk.length);
    try {
      for (const payload of this.decoder.push(chunk)) {
        if (this.socket.destroyed) return;
        if (this.peerId !== undefined && isPieceFrame(payload)) {
          const whole = this.pieces.accept(payload);
          if (whole === undefined) continue;
          this.context.stats.messagesReceivedInPieces++;
          this.deliver(this.peerId, whole);
          continue;
        }
        const value = decodeJsonObject(payload);
        if (this.peerId === undefined) this.onHello(value);
        else this.deliver(this.peerId, value);
      }
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.context.stats.framesRejected++;
      this.context.logger.warn(`closing connection from ${this.remote()}: ${error.message}`);
      this.close();
    }
  }

  private onHello(hello: Record<string, unknown>): void {
    const { local, limits } = this.context;
    if (hello.synod === 'query' && hello.protocolVersion === PROTOCOL_VERSION) {
      this.onQuery(hello);
      return;
    }
    const problem = checkHello(hello, local);
    const admission =
      problem === undefined ? this.context.admit?.(hello.nodeId as NodeId) : undefined;
    if (problem !== undefined || admission !== undefined) {
      this.refuse(hello, problem ?? (admission as Admission).reason, admission?.code);
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.peerId = hello.nodeId as NodeId;
    const welcome: Welcome = { synod: 'welcome', protocolVersion: PROTOCOL_VERSION, ...local };
    this.socket.write(encodeJsonFrame(welcome, limits.frameBytesMax));
    this.context.logger.info(`accepted connection from node ${this.peerId} (${this.remote()})`);
    this.context.onEstablished(this);
  }

  private onQuery(frame: Record<string, unknown>): void {
    clearTimeout(this.handshakeTimer);
    const query = frame.query;
    const answer: Record<string, unknown> =
      this.context.onQuery === undefined || typeof query !== 'object' || query === null
        ? { error: 'this node answers no queries' }
        : this.context.onQuery(query as Record<string, unknown>);
    const reply: QueryAnswer = { synod: 'answer', answer };
    this.socket.end(encodeJsonFrame(reply, this.context.limits.frameBytesMax));
    this.socket.pause();
    setTimeout(() => this.socket.destroy(), REFUSAL_LINGER_MS).unref();
  }

  private refuse(hello: Record<string, unknown>, problem: string, code: string | undefined): void {
    const { local, limits } = this.context;
    this.context.stats.handshakesRefused++;
    this.context.logger.error(`refused connection from ${this.remote()}: ${problem}`, {
      localClusterId: local.clusterId,
      remoteClusterId: hello.clusterId,
      remoteNodeId: hello.nodeId,
    });
    const refusal: Refusal = {
      synod: 'refused',
      reason: problem,
      ...(code === undefined ? {} : { code }),
      ...local,
    };
    this.socket.end(encodeJsonFrame(refusal, limits.frameBytesMax));
    this.socket.pause(); // read nothing more from a refused peer
    setTimeout(() => this.socket.destroy(), REFUSAL_LINGER_MS).unref();
    clearTimeout(this.handshakeTimer);
  }

  private deliver(from: NodeId, message: Record<string, unknown>): void {
    this.context.stats.messagesReceived++;
    try {
      this.context.onMessage(from, message);
    } catch (error) {
      // A throwing handler is a bug above us; it must not kill the peer's connection.
      this.context.logger.error(
        `onMessage threw for a message from node ${from}: ${String(error)}`,
      );
    }
  }

  private remote(): string {
    const who = this.peerId === undefined ? '' : `node ${this.peerId} at `;
    return `${who}${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }
}
