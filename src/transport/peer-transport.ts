import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { assert } from '../core/assert.js';
import type { NodeId } from '../core/ids.js';
import { assertNodeId } from '../core/ids.js';
import type { Admission } from './handshake.js';
import { InboundConnection } from './inbound-connection.js';
import { closeListening, listenEach } from './listen.js';
import type { LinkState, PeerAddress } from './peer-link.js';
import { PeerLink } from './peer-link.js';
import type { PeerTlsOptions } from './peer-tls.js';
import type { TransportLimits, TransportStats } from './transport-limits.js';
import { emptyStats, resolveLimits } from './transport-limits.js';
import type { TransportLogger } from './transport-logger.js';
import { stderrTransportLogger } from './transport-logger.js';

export interface PeerTransportOptions<M extends object> {
  readonly clusterId: string;
  readonly nodeId: NodeId;
  /**
   * Where to accept peers: one address, or several (etcd's --listen-peer-urls). Port 0 picks a free
   * port; `start` returns the first address bound.
   */
  readonly listen: PeerAddress | readonly PeerAddress[];
  /**
   * The other members' peer addresses, one or several each (this node's own id, if present, is
   * ignored). A link dials the first and moves to the next when a dial fails.
   */
  readonly peers: ReadonlyMap<NodeId, PeerAddress | readonly PeerAddress[]>;
  /** Every message from a peer, in the order that peer sent it. Must not block. */
  readonly onMessage: (from: NodeId, message: M) => void;
  readonly logger?: TransportLogger;
  readonly limits?: Partial<TransportLimits>;
  /** The jitter source for reconnect backoff; Math.random unless a test pins it. */
  readonly random?: () => number;
  /** Refuses a node that must not connect (removed from the membership); undefined admits it. */
  readonly admit?: (nodeId: NodeId) => Admission | undefined;
  /** A peer refused this node with a code (`removed`: this node is no longer a member). */
  readonly onRefused?: (peer: NodeId, code: string, reason: string) => void;
  /** Answers a joining node's query (see handshake.ts); without it queries are refused. */
  readonly onQuery?: (query: Record<string, unknown>) => Record<string, unknown>;
  /** TLS on every peer connection, accepted and dialed; plain TCP when undefined. */
  readonly tls?: PeerTlsOptions;
}

/** Bytes exchanged with one peer since the transport started. */
export interface PeerByteCounts {
  sent: number;
  received: number;
}

/**
 * Peer-to-peer messaging for one node over TCP: a listener for the peers' connections and one
 * outgoing link per peer. `send` never blocks and never buffers without bound: it returns false
 * when the message was dropped (see PeerLink for the policy), which consensus protocols tolerate.
 * Messages are JSON objects; delivery is in order per peer per connection, at most once, except
 * that a message sent in pieces (`sendInPieces`) arrives after the ordinary messages sent while it
 * travelled.
 */
export class PeerTransport<M extends object = Record<string, unknown>> {
  private readonly limits: TransportLimits;
  private readonly statsCounters: TransportStats = emptyStats();
  private readonly logger: TransportLogger;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<InboundConnection>();
  private readonly listenAddresses: readonly PeerAddress[];
  private readonly servers: Server[];
  private readonly bytesByPeer = new Map<NodeId, PeerByteCounts>();
  private started = false;
  private closed = false;

  constructor(private readonly options: PeerTransportOptions<M>) {
    assert(options.clusterId.length > 0, 'empty cluster id');
    assertNodeId(options.nodeId);
    this.limits = resolveLimits(options.limits);
    this.logger = options.logger ?? stderrTransportLogger;
    this.listenAddresses = addressList(options.listen);
    this.servers = this.listenAddresses.map(() => this.createListener());
    for (const server of this.servers) server.maxConnections = this.limits.inboundConnectionsMax;
  }

  /**
   * With TLS, the handshake runs before the cluster-id hello: a dialer whose certificate does not
   * chain to the trusted CA never reaches it, and is refused here loudly.
   */
  private createListener(): Server {
    const tls = this.options.tls;
    if (tls === undefined) return createServer((socket) => this.accept(socket));
    const server = createTlsServer(
      {
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        requestCert: tls.clientCertAuth,
        rejectUnauthorized: tls.clientCertAuth,
      },
      (socket) => this.accept(socket),
    );
    server.on('tlsClientError', (error, socket) => {
      this.statsCounters.handshakesRefused++;
      this.logger.error(
        `refused TLS connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ` +
          `${error.message}; its certificate must chain to --peer-trusted-ca-file`,
      );
    });
    return server;
  }

  /**
   * Listens on every address, then starts dialing every peer. Resolves with the first address
   * bound; fails, listening nowhere, when one address cannot be bound (the error names it).
   */
  async start(): Promise<PeerAddress> {
    assert(!this.started && !this.closed, 'PeerTransport.start called twice or after close');
    this.started = true;
    await listenEach(this.servers, this.listenAddresses, 'peers');
    for (const server of this.servers)
      server.on('error', (error) => this.logger.error(`peer listener: ${error.message}`));
    for (const [nodeId, address] of this.options.peers) this.setPeer(nodeId, address);
    const address = this.address();
    assert(address !== undefined, 'listening without an address');
    return address;
  }

  /** The first address listened on; undefined before `start`. */
  address(): PeerAddress | undefined {
    return this.addresses()[0];
  }

  /** Every address listened on, in the order of `listen`. */
  addresses(): PeerAddress[] {
    const bound: PeerAddress[] = [];
    for (const server of this.servers) {
      const info = server.address() as AddressInfo | null;
      if (info !== null) bound.push({ host: info.address, port: info.port });
    }
    return bound;
  }

  /** Sends to one peer; false when dropped (unknown peer, down, queue full, too large). */
  send(to: NodeId, message: M): boolean {
    return this.linkTo(to)?.send(message) ?? false;
  }

  /**
   * Sends a message that may be large (a snapshot) in pieces, behind the ordinary messages to the
   * same peer; false when dropped (unknown peer, down, another one still on its way).
   */
  sendInPieces(to: NodeId, message: M): boolean {
    return this.linkTo(to)?.sendInPieces(message) ?? false;
  }

  private linkTo(to: NodeId): PeerLink | undefined {
    const link = this.links.get(to);
    if (link === undefined) this.statsCounters.droppedUnknownPeer++;
    return link;
  }

  /** Adds a peer or changes its addresses (membership changes, a moved node). */
  setPeer(nodeId: NodeId, address: PeerAddress | readonly PeerAddress[]): void {
    assertNodeId(nodeId);
    const addresses = addressList(address);
    assert(addresses.length > 0, `no address for node ${nodeId}`);
    if (this.closed || nodeId === this.options.nodeId) return;
    const existing = this.links.get(nodeId);
    if (existing !== undefined) {
      existing.setAddresses(addresses);
      return;
    }
    const context = {
      local: { clusterId: this.options.clusterId, nodeId: this.options.nodeId },
      limits: this.limits,
      stats: this.statsCounters,
      logger: this.logger,
      random: this.options.random ?? Math.random,
      ...(this.options.onRefused === undefined ? {} : { onRefused: this.options.onRefused }),
      tls: this.options.tls,
      countSent: (peerId: NodeId, bytes: number) => {
        this.bytesOf(peerId).sent += bytes;
      },
    };
    this.links.set(nodeId, new PeerLink(nodeId, addresses, context));
  }

  /**
   * Stops talking to `nodeId`, both ways: its connection to us is closed too, so that if it
   * redials, `admit` decides again (a removed member then learns it was removed).
   */
  removePeer(nodeId: NodeId): void {
    this.links.get(nodeId)?.close();
    this.links.delete(nodeId);
    for (const connection of this.inbound) if (connection.nodeId === nodeId) connection.close();
  }

  /** Since when the link to `nodeId` has been up (ms since the epoch); undefined while down. */
  activeSince(nodeId: NodeId): number | undefined {
    return this.links.get(nodeId)?.activeSince;
  }

  /** The peers this transport dials. */
  peerIds(): NodeId[] {
    return [...this.links.keys()];
  }

  /** The state of the outgoing link to each peer. */
  peerStates(): Map<NodeId, LinkState> {
    return new Map([...this.links].map(([nodeId, link]) => [nodeId, link.linkState]));
  }

  /** Bytes sent to and received from each peer, by node id. */
  peerBytes(): ReadonlyMap<NodeId, Readonly<PeerByteCounts>> {
    return this.bytesByPeer;
  }

  private bytesOf(peerId: NodeId): PeerByteCounts {
    let counts = this.bytesByPeer.get(peerId);
    if (counts === undefined) {
      counts = { sent: 0, received: 0 };
      this.bytesByPeer.set(peerId, counts);
    }
    return counts;
  }

  stats(): Readonly<TransportStats> {
    return { ...this.statsCounters };
  }

  /** Stops listening, closes every connection and timer. Queued messages are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const connection of this.inbound) connection.close();
    this.inbound.clear();
    if (!this.started) return;
    await closeListening(this.servers);
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const connection = new InboundConnection(socket, {
      local: { clusterId: this.options.clusterId, nodeId: this.options.nodeId },
      limits: this.limits,
      stats: this.statsCounters,
      logger: this.logger,
      onEstablished: (established) => this.onEstablished(established),
      onMessage: (from, message) => this.options.onMessage(from, message as M),
      ...(this.options.admit === undefined ? {} : { admit: this.options.admit }),
      ...(this.options.onQuery === undefined ? {} : { onQuery: this.options.onQuery }),
      countReceived: (peerId, bytes) => {
        this.bytesOf(peerId).received += bytes;
      },
    });
    this.inbound.add(connection);
    socket.on('close', () => this.inbound.delete(connection));
  }

  /** A peer that redials replaces its old connection, which may be half-open and never close. */
  private onEstablished(established: InboundConnection): void {
    for (const connection of this.inbound) {
      if (connection !== established && connection.nodeId === established.nodeId) {
        connection.close();
      }
    }
  }
}

function addressList(address: PeerAddress | readonly PeerAddress[]): readonly PeerAddress[] {
  return 'host' in address ? [address as PeerAddress] : address;
}
