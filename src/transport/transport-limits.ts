import { assert } from '../core/assert.js';
import type { BackoffPolicy } from './backoff.js';

export interface TransportLimits extends BackoffPolicy {
  /** The largest frame sent or accepted; a bigger incoming frame closes the connection. */
  readonly frameBytesMax: number;
  /**
   * The largest message accepted in pieces (one that carries a snapshot, see piece-stream.ts),
   * counted in frame bytes; a bigger one closes the connection.
   */
  readonly streamBytesMax: number;
  /** Messages waiting per peer before `send` starts refusing (returning false). */
  readonly queueMessagesMax: number;
  /** Encoded bytes waiting per peer before `send` starts refusing. */
  readonly queueBytesMax: number;
  /** Connect plus handshake must finish within this, or the attempt counts as failed. */
  readonly handshakeTimeoutMs: number;
  /** Accepted connections open at once (each peer uses one; the rest bounds stray dialers). */
  readonly inboundConnectionsMax: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  frameBytesMax: 16 * 1024 * 1024,
  streamBytesMax: 1024 * 1024 * 1024,
  queueMessagesMax: 4096,
  queueBytesMax: 64 * 1024 * 1024,
  handshakeTimeoutMs: 5000,
  backoffMsMin: 100,
  backoffMsMax: 5000,
  inboundConnectionsMax: 256,
};

export function resolveLimits(overrides: Partial<TransportLimits> = {}): TransportLimits {
  const limits = { ...DEFAULT_TRANSPORT_LIMITS, ...overrides };
  assert(limits.frameBytesMax >= 1024, 'frameBytesMax below 1 KiB');
  assert(limits.streamBytesMax >= limits.frameBytesMax, 'streamBytesMax below frameBytesMax');
  assert(
    limits.queueMessagesMax >= 1 && limits.queueBytesMax >= limits.frameBytesMax,
    'bad queue bounds',
  );
  assert(limits.handshakeTimeoutMs > 0 && limits.inboundConnectionsMax >= 1, 'bad limits');
  return limits;
}

/** Counters since the transport started; the server exports them as metrics. */
export interface TransportStats {
  messagesSent: number;
  messagesReceived: number;
  /** Messages sent in pieces (snapshots), counted in messagesSent/Received too once whole. */
  messagesSentInPieces: number;
  messagesReceivedInPieces: number;
  /** `send` refused because the peer's queue was full. */
  droppedQueueFull: number;
  /** Dropped because the peer was down or the connection broke with messages queued. */
  droppedPeerDown: number;
  /** `send` to a node id with no known address. */
  droppedUnknownPeer: number;
  /** `send` of a message above frameBytesMax. */
  droppedTooLarge: number;
  /** Connections closed for an oversized or malformed frame. */
  framesRejected: number;
  /** Handshakes refused, in either direction (cluster id, version, wrong node). */
  handshakesRefused: number;
  /** Outbound connections established (handshake completed). */
  connectionsEstablished: number;
}

export function emptyStats(): TransportStats {
  return {
    messagesSent: 0,
    messagesReceived: 0,
    messagesSentInPieces: 0,
    messagesReceivedInPieces: 0,
    droppedQueueFull: 0,
    droppedPeerDown: 0,
    droppedUnknownPeer: 0,
    droppedTooLarge: 0,
    framesRejected: 0,
    handshakesRefused: 0,
    connectionsEstablished: 0,
  };
}
