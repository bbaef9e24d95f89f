import type { NodeId } from '../core/ids.js';
import type { PeerMessageCounts } from '../core/live-state-format.js';

/** Message types longer than this are cut: a peer's type is data from the network. */
const TYPE_LENGTH_MAX = 64;
/** Distinct types counted per peer; a buggy or hostile peer cannot grow the map without bound. */
const TYPES_PER_PEER_MAX = 64;
const OTHER_TYPE = 'other';

/**
 * Peer messages sent and received since the process started, by peer and type: the live-state
 * endpoint reports them and the visualizer turns two readings into messages per second per link.
 */
export class MessageCounts {
  private readonly sentByPeer = new Map<NodeId, Map<string, number>>();
  private readonly receivedByPeer = new Map<NodeId, Map<string, number>>();

  sent(to: NodeId, type: unknown): void {
    increment(this.sentByPeer, to, type);
  }

  received(from: NodeId, type: unknown): void {
    increment(this.receivedByPeer, from, type);
  }

  snapshot(): { sent: PeerMessageCounts; received: PeerMessageCounts } {
    return { sent: plain(this.sentByPeer), received: plain(this.receivedByPeer) };
  }
}

function increment(byPeer: Map<NodeId, Map<string, number>>, peer: NodeId, type: unknown): void {
  let counts = byPeer.get(peer);
  if (counts === undefined) {
    counts = new Map();
    byPeer.set(peer, counts);
  }
  let key = typeof type === 'string' && type !== '' ? type.slice(0, TYPE_LENGTH_MAX) : OTHER_TYPE;
  if (!counts.has(key) && counts.size >= TYPES_PER_PEER_MAX) key = OTHER_TYPE;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function plain(byPeer: Map<NodeId, Map<string, number>>): PeerMessageCounts {
  const result: Record<string, Record<string, number>> = {};
  for (const [peer, counts] of byPeer) result[String(peer)] = Object.fromEntries(counts);
  return result;
}
