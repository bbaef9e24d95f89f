import type { Socket } from 'node:net';
import { assert } from '../core/assert.js';
import type { NodeId } from '../core/ids.js';
import { backoffDelayMs } from './backoff.js';
import { decodeJsonObject, encodeJsonFrame, FrameDecoder, FrameError } from './frame-codec.js';
import type { Hello, LocalIdentity } from './handshake.js';
import { checkAnswer, PROTOCOL_VERSION } from './handshake.js';
import { OutgoingPieces } from './piece-stream.js';
import type { PeerTlsOptions } from './peer-tls.js';
import { dialPeer, isCertificateError } from './peer-tls.js';
import type { TransportLimits, TransportStats } from './transport-limits.js';
import type { TransportLogger } from './transport-logger.js';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** Frames are joined into socket writes of about this size. */
const WRITE_BYTES_TARGET = 64 * 1024;

export type LinkState = 'connecting' | 'connected' | 'backoff' | 'closed';

export interface LinkContext {
  readonly local: LocalIdentity;
  readonly limits: TransportLimits;
  readonly stats: TransportStats;
  readonly logger: TransportLogger;
  readonly random: () => number;
  /** A peer refused this node with a code (e.g. `removed`): the dialer's owner decides what next. */
  readonly onRefused?: (peer: NodeId, code: string, reason: string) => void;
  /** TLS for every peer connection; plain TCP when undefined. */
  readonly tls?: PeerTlsOptions;
  /** Bytes written per peer, for etcd_network_peer_sent_bytes_total. */
  readonly countSent?: (peerId: NodeId, bytes: number) => void;
}

/**
 * The outgoing half of the connection to one peer: dials, handshakes, sends frames, and redials
 * with backoff when the connection fails. Messages flow one way on it (the peer's messages to us
 * arrive on the connection it dialed), which leaves no duplicate-connection races to settle.
 *
 * Backpressure: a bounded queue of encoded frames. When it is full `send` refuses the new message
 * (returns false, counted); what is queued stays in order. While the peer is down (between
 * attempts) messages are dropped at once, and a broken connection drops its queue: consensus
 * protocols retransmit, and a stale backlog delivered after a reconnect would only be discarded.
 *
 * A message sent in pieces (`sendInPieces`, a snapshot) goes behind the queue: one piece whenever
 * the queue is empty and the socket has room, so ordinary messages overtake it. One such message
 * travels at a time; another offered meanwhile is refused, since the protocols that send snapshots
 * send them again when one is lost, and a second copy queued behind the first is only waste.
 */
export class PeerLink {
  private state: LinkState = 'connecting';
  private socket: Socket | undefined;
  private readonly queue: Buffer[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  /** The message being sent in pieces, if any. */
  private inPieces: OutgoingPieces | undefined;
  private nextStream = 0;
  private waitingForDrain = false;
  private flushScheduled = false;
  private failedAttempts = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Reported once per outage, so a peer that stays down does not flood the log. */
  private outageReported = false;
  /** The last socket error, for the "connection lost" line. */
  private lastError: string | undefined;
  /** When the current connection was established (ms since the epoch); undefined when down. */
  private connectedAtMs: number | undefined;

  /**
   * The address dialed now: a failed dial moves on to the next (etcd dials any peer URL). The
   * transport checks that a peer has at least one.
   */
  private addressIndex = 0;

  constructor(
    readonly peerId: NodeId,
    private addresses: readonly PeerAddress[],
    private readonly context: LinkContext,
  ) {
    this.dial();
  }

  private get address(): PeerAddress {
    return this.addresses[this.addressIndex]!;
  }

  get linkState(): LinkState {
    return this.state;
  }

  /** Since when the link has been up (etcd's ActiveSince); undefined while it is down. */
  get activeSince(): number | undefined {
    return this.state === 'connected' ? this.connectedAtMs : undefined;
  }

  /** Queues a message; false when it was dropped (queue full, peer down, or too large). */
  send(message: unknown): boolean {
    const { stats, limits } = this.context;
    if (this.state === 'closed' || this.state === 'backoff') {
      stats.droppedPeerDown++;
      return false;
    }
    const queuedMessages = this.queue.length - this.queueHead;
    if (queuedMessages >= limits.queueMessagesMax || this.queuedBytes >= limits.queueBytesMax) {
      stats.droppedQueueFull++;
      return false;
    }
    let frame: Buffer;
    try {
      frame = encodeJsonFrame(message, limits.frameBytesMax);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      stats.droppedTooLarge++;
      this.context.logger.warn(`message to node ${this.peerId} not sent: ${error.message}`);
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.scheduleFlush();
    return true;
  }

  /**
   * Queues a message to be sent in pieces, behind the ordinary ones; false when dropped (peer down,
   * or another message in pieces is still on its way).
   */
  sendInPieces(message: unknown): boolean {
    const { stats } = this.context;
    if (this.state === 'closed' || this.state === 'backoff') {
      stats.droppedPeerDown++;
      return false;
    }
    if (this.inPieces !== undefined) {
      stats.droppedQueueFull++;
      return false;
    }
    this.inPieces = new OutgoingPieces(this.nextStream++, message);
    this.scheduleFlush();
    return true;
  }

  /** Points the link at new addresses (at least one); reconnects if they changed. */
  setAddresses(addresses: readonly PeerAddress[]): void {
    const same =
      addresses.length === this.addresses.length &&
      addresses.every(
        (address, index) =>
          address.host === this.addresses[index]!.host &&
          address.port === this.addresses[index]!.port,
      );
    if (same) return;
    this.addresses = addresses;
    this.addressIndex = 0;
    if (this.state === 'closed') return;
    this.socket?.destroy(); // the close handler schedules a redial
    if (this.state === 'backoff') this.redialNow();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.dropQueue();
    this.socket?.destroy();
  }

  private dial(): void {
    assert(this.state === 'connecting', 'dial outside connecting');
    const { local, limits } = this.context;
    const socket = dialPeer(this.address.host, this.address.port, this.context.tls, () => {
      const hello: Hello = {
        synod: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        clusterId: local.clusterId,
        nodeId: local.nodeId,
        toNodeId: this.peerId,
      };
      socket.write(encodeJsonFrame(hello, limits.frameBytesMax));
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const decoder = new FrameDecoder(limits.frameBytesMax);
    this.timer = setTimeout(() => {
      this.reportFailure(`no handshake within ${limits.handshakeTimeoutMs} ms`);
      socket.destroy();
    }, limits.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(socket, decoder, chunk));
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.scheduleFlush();
    });
    socket.on('error', (error) => {
      this.lastError = error.message;
      if (
        this.state === 'connecting' &&
        this.context.tls !== undefined &&
        isCertificateError(error)
      )
        this.reportRefusedCertificate(error.message);
      else if (this.state === 'connecting') this.reportFailure(error.message);
    });
    socket.on('close', () => this.onClose(socket));
  }

  private onData(socket: Socket, decoder: FrameDecoder, chunk: Buffer): void {
    try {
      for (const payload of decoder.push(chunk)) {
        if (this.state !== 'connecting') throw new FrameError('unexpected frame after handshake');
        this.onAnswer(socket, decodeJsonObject(payload));
      }
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.context.stats.framesRejected++;
      this.context.logger.warn(`closing connection to node ${this.peerId}: ${error.message}`);
      socket.destroy();
    }
  }

  private onAnswer(socket: Socket, answer: Record<string, unknown>): void {
    const problem = checkAnswer(answer, this.context.local, this.peerId);
    if (problem !== undefined) {
      this.context.stats.handshakesRefused++;
      this.context.logger.error(`connection to node ${this.peerId} refused: ${problem}`, {
        peer: this.peerId,
        localClusterId: this.context.local.clusterId,
        remoteClusterId: answer.clusterId,
      });
      this.outageReported = true; // already reported, loudly
      socket.destroy();
      if (answer.synod === 'refused' && typeof answer.code === 'string')
        this.context.onRefused?.(this.peerId, answer.code, String(answer.reason));
      return;
    }
    clearTimeout(this.timer);
    this.state = 'connected';
    this.connectedAtMs = Date.now();
    this.failedAttempts = 0;
    this.outageReported = false;
    this.context.stats.connectionsEstablished++;
    this.context.logger.info(`connected to node ${this.peerId}`, { ...this.address });
    this.scheduleFlush();
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    clearTimeout(this.timer);
    this.waitingForDrain = false;
    if (this.state === 'closed') return;
    if (this.state === 'connected') {
      const reason = this.lastError === undefined ? 'closed by the peer' : this.lastError;
      this.context.logger.warn(`connection to node ${this.peerId} lost: ${reason}`, {
        ...this.address,
      });
    }
    this.lastError = undefined;
    this.dropQueue();
    // A dial that never completed its handshake tries the peer's next address next time.
    if (this.state === 'connecting')
      this.addressIndex = (this.addressIndex + 1) % this.addresses.length;
    this.state = 'backoff';
    const delayMs = backoffDelayMs(this.failedAttempts++, this.context.limits, this.context.random);
    this.timer = setTimeout(() => this.redialNow(), delayMs);
  }

  private redialNow(): void {
    clearTimeout(this.timer);
    this.state = 'connecting';
    this.dial();
  }

  private reportFailure(reason: string): void {
    if (this.outageReported || this.state === 'closed') return;
    this.outageReported = true;
    this.context.logger.warn(
      `cannot reach node ${this.peerId}: ${reason} (retrying with backoff)`,
      {
        ...this.address,
      },
    );
  }

  /** A refused certificate is a misconfiguration, not an outage: said loudly, once per outage. */
  private reportRefusedCertificate(reason: string): void {
    if (this.outageReported || this.state === 'closed') return;
    this.outageReported = true;
    this.context.logger.error(
      `refused TLS with node ${this.peerId}: ${reason}; its certificate is not trusted here, ` +
        'or ours is not trusted there: check --peer-trusted-ca-file on both members',
      { ...this.address },
    );
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Deferred so that the messages of one protocol step leave in one gather-write.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Hands queued frames to the socket, joined into writes of up to WRITE_BYTES_TARGET (one stream
   * write per frame costs more than the copy), until the socket says its buffer is full; then, with
   * the queue empty, the next piece of the message in pieces.
   */
  private flush(): void {
    const socket = this.socket;
    if (this.state !== 'connected' || socket === undefined || this.waitingForDrain) return;
    while (this.queueHead < this.queue.length) {
      const start = this.queueHead;
      let bytes = 0;
      while (this.queueHead < this.queue.length && bytes < WRITE_BYTES_TARGET) {
        bytes += (this.queue[this.queueHead] as Buffer).length;
        this.queueHead++;
      }
      const frames = this.queue.slice(start, this.queueHead);
      this.queuedBytes -= bytes;
      this.context.stats.messagesSent += frames.length;
      if (
        !this.write(
          socket,
          frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames, bytes),
        )
      )
        break;
    }
    this.compactQueue();
    while (
      !this.waitingForDrain &&
      this.queueHead === this.queue.length &&
      this.inPieces !== undefined
    ) {
      const piece = this.nextPiece(this.inPieces);
      if (piece !== undefined) this.write(socket, piece);
    }
  }

  /** Writes to the socket; false (and waits for 'drain') once its buffer is full. */
  private write(socket: Socket, bytes: Buffer): boolean {
    this.context.countSent?.(this.peerId, bytes.length);
    if (socket.write(bytes)) return true;
    this.waitingForDrain = true;
    return false;
  }

  /** The next frame of the message in pieces; undefined when it ended (sent, or too large). */
  private nextPiece(pieces: OutgoingPieces): Buffer | undefined {
    const { stats, logger, limits } = this.context;
    try {
      const frame = pieces.nextFrame(limits.frameBytesMax);
      if (frame !== undefined) return frame;
      stats.messagesSent++;
      stats.messagesSentInPieces++;
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      // The receiver drops the part it has once another stream starts.
      stats.droppedTooLarge++;
      logger.warn(`message in pieces to node ${this.peerId} not sent: ${error.message}`);
    }
    this.inPieces = undefined;
    return undefined;
  }

  private compactQueue(): void {
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private dropQueue(): void {
    this.context.stats.droppedPeerDown += this.queue.length - this.queueHead;
    if (this.inPieces !== undefined) this.context.stats.droppedPeerDown++;
    this.inPieces = undefined;
    this.queue.length = 0;
    this.queueHead = 0;
    this.queuedBytes = 0;
  }
}
