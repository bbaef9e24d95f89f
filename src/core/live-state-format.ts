import type { NodeId } from './ids.js';
import type { NodeInspection } from './protocol.js';

/**
 * The answer of a member's `GET /synod/v1/state` (docs/live-state.md): written by the server
 * (src/server/live-state.ts) and read by the visualizer's live mode (web/src/live/live-state.ts),
 * which checks it field by field since it comes over the network. Plain data, so both sides share
 * this one definition.
 */

/** Bumped when a field changes meaning or disappears; new fields keep the version. */
export const LIVE_STATE_VERSION = 1;
export const LIVE_STATE_PATH = '/synod/v1/state';
export const LIVE_STATE_STREAM_PATH = '/synod/v1/state/stream';

export interface LiveMember {
  readonly name: string;
  /** etcd's member id, in hex as etcdctl prints it. */
  readonly id: string;
  /** The engine's node id: what `leader`, `followers` and `messages` refer to. */
  readonly nodeId: NodeId;
}

/** Counts by peer, then by message type: `{ "1": { "append": 12, "heartbeat": 40 } }`. */
export type PeerMessageCounts = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface LiveState {
  readonly version: typeof LIVE_STATE_VERSION;
  readonly member: LiveMember;
  readonly members: readonly LiveMember[];
  readonly clusterId: string;
  readonly engine: string;
  readonly role: string;
  readonly term: number;
  /** The leader this member believes in; null while it knows none. */
  readonly leader: LiveMember | null;
  readonly committedIndex: number;
  readonly appliedIndex: number;
  readonly log: { readonly firstIndex: number; readonly lastIndex: number };
  /** A leader's view of its followers' logs; empty on other members. */
  readonly followers: readonly (LiveMember & { readonly match: number; readonly next: number })[];
  /** The engine's inspection, as the visualizer draws a simulated node (log cut to its tail). */
  readonly inspection: NodeInspection;
  /** Peer messages since `startedAtMs`, by peer node id, then by message type. */
  readonly messages: { readonly sent: PeerMessageCounts; readonly received: PeerMessageCounts };
  readonly startedAtMs: number;
  /** When this answer was taken (ms since the epoch, this member's clock). */
  readonly timestampMs: number;
}
