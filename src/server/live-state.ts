import type { NodeId } from '../core/ids.js';
import type { NodeInspection } from '../core/protocol.js';
import { idToHex } from './cluster-ids.js';
import type { NodeConfig } from './config.js';
import type { PeerMessageCounts } from './message-counts.js';
import type { NodeRuntime } from './node.js';

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

/** One member's state as `GET /synod/v1/state` answers it; docs/live-state.md describes it. */
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

export function liveState<Op, Res>(config: NodeConfig, runtime: NodeRuntime<Op, Res>): LiveState {
  const members = config.members.map(liveMember);
  const byNodeId = new Map(members.map((member) => [member.nodeId, member]));
  const description = runtime.engine.describe();
  const metrics = runtime.metrics();
  const leaderId = runtime.leader();
  return {
    version: LIVE_STATE_VERSION,
    member: liveMember(config.self),
    members,
    clusterId: idToHex(config.clusterId),
    engine: config.engine,
    role: description.inspection.role,
    term: runtime.engine.term(),
    leader: leaderId === undefined ? null : (byNodeId.get(leaderId) ?? null),
    committedIndex: metrics.committedIndex,
    appliedIndex: metrics.appliedIndex,
    log: { firstIndex: description.firstIndex, lastIndex: description.lastIndex },
    followers: description.followers.flatMap((follower) => {
      const member = byNodeId.get(follower.nodeId);
      return member === undefined
        ? []
        : [{ ...member, match: follower.match, next: follower.next }];
    }),
    inspection: description.inspection,
    messages: runtime.messageCounts.snapshot(),
    startedAtMs: runtime.startedAtMs,
    timestampMs: Date.now(),
  };
}

function liveMember(member: NodeConfig['self']): LiveMember {
  return { name: member.name, id: idToHex(member.memberId), nodeId: member.nodeId };
}
